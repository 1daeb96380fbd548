#!/usr/bin/env bash
# CI entry point: install the locked packages, type-check, run the tests.
# The tests start a real clipstitch server from the Python venv in CLIPSTITCH_VENV
# (default: the repository's .venv, ../../.venv from here) and need ffmpeg.
set -euo pipefail
cd "$(dirname "$0")"

export CLIPSTITCH_VENV="${CLIPSTITCH_VENV:-../../.venv}"
if [ ! -x "$CLIPSTITCH_VENV/bin/clipstitch" ]; then
  echo "no clipstitch in $CLIPSTITCH_VENV (set CLIPSTITCH_VENV to a venv with clipstitch installed)" >&2
  exit 1
fi

npm ci --no-audit --no-fund
npx tsc --noEmit
node --import tsx --test --test-concurrency=1 test/*.test.ts
