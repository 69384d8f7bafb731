#!/usr/bin/env bash
# Set up everything the tests need (scripts/setup.sh test), then run them. Extra arguments
# go to pytest, e.g. `./scripts/test.sh tests/test_records.py -k spf`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test
PATH="$PATH:/usr/sbin" exec .venv/bin/python -m pytest -q "$@"
