#!/usr/bin/env bash
# Set up, then run lint, the type checker and the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check src tests benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# The suite's files are shared out over one worker per core (TEST_WORKERS=0: one process; a number: that many);
# a file stays on one worker, so its module fixtures are built once.
workers=()
if [ "${TEST_WORKERS:-auto}" != "0" ]; then workers=(-n "${TEST_WORKERS:-auto}" --dist loadfile); fi
set +e
.venv/bin/python -m pytest "${workers[@]}" "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: that is a broken suite, not a pass.
if [ "$status" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$status"
