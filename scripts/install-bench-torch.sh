#!/usr/bin/env bash
# Installs the sentence-transformers baseline (requirements-bench-torch.txt) into the bench
# virtualenv whose interpreter is $1. Never fatal: where the local torch CPU wheel is not
# there (other machine kinds), it says so and leaves the venv as uv synced it, and
# bench/research_bench.py then reports sentence-transformers as skipped with the reason.
set -uo pipefail
py="$1"
req="$(dirname "$0")/../requirements-bench-torch.txt"
pip=("$py" -m pip install -q --disable-pip-version-check --require-hashes --no-deps)
# One requirement is a "name==version \" line and its "--hash" line.
only_torch() { awk '/^torch==/{keep=1; print; next} keep && /^ +--hash/{print; next} {keep=0}' "$req"; }
not_torch() { awk '/^torch==/{skip=1; next} skip && /^ +--hash/{next} {skip=0; print}' "$req"; }
# torch alone first, with --no-index: only pip's find-links folder is looked at, so the
# index's CUDA build of torch 2.13.0 (several GB) can never be chosen.
if ! "${pip[@]}" --no-index -r <(only_torch); then
    echo "note: no local torch 2.13.0 CPU wheel for pip; the benchmark will report" \
         "sentence-transformers as skipped" >&2
    exit 0
fi
if ! "${pip[@]}" -r <(not_torch); then
    echo "warning: could not install sentence-transformers for the benchmark; it will" \
         "report sentence-transformers as skipped" >&2
fi
exit 0
