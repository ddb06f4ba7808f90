#!/usr/bin/env bash
# Prints `export` lines with DEMO-ONLY keys for the privacy guard, for `make demo`:
#     eval "$(bash scripts/demo-env.sh)"
# These values are public (they are in this repository). They exist so that the demo can
# pseudonymise and encrypt without set-up. NEVER use them for real data: a real deployment
# sets its own secrets, e.g.
#     DUALTRACK_PSEUDONYM_KEY="$(openssl rand -base64 32)"
#     DUALTRACK_ENCRYPTION_KEY="$(openssl rand -base64 64 | tr -d '\n')"
# Variables already set in the environment are kept.
set -euo pipefail

demo_pseudonym_key="demo-only-NOT-SECRET-pseudonym-key-2026"
# base64 of the 64 ASCII bytes "demo-only-NOT-SECRET-aes-siv-key-2026-...": an AES-SIV-512 key.
demo_encryption_key="ZGVtby1vbmx5LU5PVC1TRUNSRVQtYWVzLXNpdi1rZXktMjAyNi0wMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcA=="

printf 'export DUALTRACK_PSEUDONYM_KEY=%q\n' "${DUALTRACK_PSEUDONYM_KEY:-$demo_pseudonym_key}"
printf 'export DUALTRACK_ENCRYPTION_KEY=%q\n' "${DUALTRACK_ENCRYPTION_KEY:-$demo_encryption_key}"
