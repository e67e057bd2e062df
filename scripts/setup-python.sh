#!/usr/bin/env bash
# Creates the project-local Python environment .venv-trainer/ used by the real-library check
# (test/integration/hf-trainer.test.ts): CPU-only use of torch + transformers + accelerate from PyPI.
#
# The install is large (torch's Linux wheels on PyPI pull the CUDA runtime packages, several
# GB; about 2.5 minutes here), so `npm test` does not run it; .ci/run does. Run it once with
# `npm run setup:python`, then `npm run test:hf`.
#
# Environment: PYTHON (default python3, needs >= 3.10 with the venv module).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-trainer"
PYTHON="${PYTHON:-python3}"

# Pinned so that the log format the test checks is a known one.
TORCH_VERSION="2.15.0"
TRANSFORMERS_VERSION="5.23.0"
ACCELERATE_VERSION="1.15.0"

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-python: creating $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
echo "setup-python: installing torch==$TORCH_VERSION transformers==$TRANSFORMERS_VERSION accelerate==$ACCELERATE_VERSION"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
  "torch==$TORCH_VERSION" "transformers==$TRANSFORMERS_VERSION" "accelerate==$ACCELERATE_VERSION"
"$VENV/bin/python" - <<'PY'
import torch, transformers, accelerate
print(f"setup-python: ok torch {torch.__version__} transformers {transformers.__version__} accelerate {accelerate.__version__}")
PY
