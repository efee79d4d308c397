#!/usr/bin/env bash
# Run HERE (the CPU machine, which reaches PyPI) before a GPU check: downloads the benchmark peers
# that the GPU machine's image lacks (it has jax, numpyro, optax, scipy, hypothesis, pytest,
# lineax, networkx, wrapt, matplotlib) as Python 3.12 x86-64 wheels into .whl/ (git-ignored).
# The device tool then carries .whl (`carry: [".whl"]`) and scripts/gpu/run_checks.sh installs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 \
  manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
for pkg in ott-jax==0.6.0 jaxopt==0.8.5 pot==0.9.7.post1 nashpy==0.0.43 deprecated==1.2.18 \
  blackjax==1.7.1; do
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "${platforms[@]}" -d .whl "$pkg"
done
ls -la .whl
