#!/usr/bin/env bash
# One command from a fresh clone: create .venv, install CPU torch and vdq-gui, then run.
#   scripts/dev.sh app [ARGS]     the window (built-in demo data when no file is given)
#   scripts/dev.sh test [ARGS]    the test suite (offscreen, no display needed)
#   scripts/dev.sh train [ARGS]   the headless trainer (vdq-train)
#   scripts/dev.sh bench [ARGS]   the benchmark suite (python -m benchmarks)
# Set VDQ_TORCH_INDEX to a PyTorch wheel index (e.g. its CPU index) on machines where
# plain "torch==2.13.0" would fetch a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VDQ_VENV:-.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.vdq-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints-cpu.txt -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  # torch first and pinned: the CPU build, not the several-GB CUDA default.
  "$venv/bin/python" -m pip install --quiet ${VDQ_TORCH_INDEX:+--index-url "$VDQ_TORCH_INDEX"} -c constraints-cpu.txt torch
  "$venv/bin/python" -m pip install --quiet -c constraints-cpu.txt -e ".[test]"
  touch "$stamp"
fi

command="${1:-app}"
shift || true
case "$command" in
  app) exec "$venv/bin/vdq-gui" "$@" ;;
  test) exec "$venv/bin/python" -m pytest -q "$@" ;;
  train) exec "$venv/bin/vdq-train" "$@" ;;
  bench) exec "$venv/bin/python" -m benchmarks "$@" ;;
  *) echo "usage: scripts/dev.sh app|test|train|bench [ARGS]" >&2; exit 2 ;;
esac
