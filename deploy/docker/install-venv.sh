#!/bin/sh
# install-venv PACKAGE TORCH_VARIANT [uv sync args...]
#
# Installs workspace member PACKAGE and exactly its locked dependency closure (uv.lock) into
# /opt/venv, non-editable, bytecode compiled. TORCH_VARIANT:
#   cuda  torch as locked (PyPI wheels bundle the CUDA runtime; the node supplies the driver)
#   cpu   the same torch version from the PyTorch CPU index, without the nvidia-*/cuda-*/triton wheels
#         (about 4 GB smaller); used by every image that never sees a GPU.
# Packages that do not depend on torch ignore TORCH_VARIANT. --inexact keeps the CPU torch
# that a first (dependencies-only) run installed when the second run adds the sources.
set -eu
venv="${UV_PROJECT_ENVIRONMENT:-/opt/venv}"  # the builder stage sets it to /opt/venv
package="$1"
variant="$2"
shift 2
case "$variant" in cpu|cuda) ;; *) echo "TORCH_VARIANT must be cpu or cuda, was '$variant'" >&2; exit 2 ;; esac

locked="$(uv export --frozen --no-dev --package "$package" --no-hashes --no-header --no-emit-workspace)"
torch_version="$(printf '%s\n' "$locked" | sed -n 's/^torch==\([^ ;]*\).*/\1/p')"
skip=""
if [ "$variant" = cpu ] && [ -n "$torch_version" ]; then
  skip="--no-install-package torch"
  for name in $(printf '%s\n' "$locked" | sed -n 's/^\(nvidia-[a-z0-9-]*\|cuda-[a-z0-9-]*\|triton\)==.*/\1/p'); do
    skip="$skip --no-install-package $name"
  done
fi
# shellcheck disable=SC2086  # $skip is a list of flags
uv sync --frozen --inexact --no-dev --no-editable --package "$package" $skip "$@"
if [ -n "$skip" ]; then
  uv pip install --python "$venv/bin/python" --no-deps \
    --index-url https://download.pytorch.org/whl/cpu "torch==${torch_version%%+*}+cpu"
fi
