#!/usr/bin/env bash
# Run the whole test suite (on SQLite, or on PostgreSQL when DATABASE_URL points there).
# Extra arguments go to pytest, e.g. scripts/test.sh -k locate
set -euo pipefail
source "$(dirname "$0")/_env.sh" requirements-dev.txt
echo "==> database: $(echo "${DATABASE_URL:-SQLite (default)}" | sed -E "s#//[^@/]*@#//#")"
exec python -m pytest "$@"
