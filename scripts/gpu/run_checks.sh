#!/usr/bin/env bash
# The GPU session's checks in one call of the device tool (15 minutes of device time in all, the
# machine's start included), each phase under its own time limit so that the results of the
# earlier ones come back even if a later one runs long:
#
#   run(command="bash scripts/gpu/run_checks.sh", carry=[".whl"], timeout_s=600)
#
# (after scripts/gpu/fetch_wheels.sh here). Phases, and what comes back under $OUT:
#   1. environment: nvidia-smi, jax devices and versions            -> env.txt
#   2. benchmarks, quick mode, every suite, on the GPU                -> gpu-*-quick.{json,md}
#   3. benchmarks, full mode, the sizes of one GPU                   -> gpu-*-full.{json,md}
#      (densities to 10^8, Sinkhorn and MMD to 10^5 points, 10^4 games per batch)
#   4. the test suite on the GPU (float32 and TF32 numerics)          -> tests.log
# Copy the results into benchmarks/results/, draw the plots here with
# `python -m benchmarks.report benchmarks/results/gpu-*-quick.json` (and -full), and commit them.
# A phase stopped by its limit still writes the cases it finished (marked in the results' note).
# Limits in seconds: QUICK_S, FULL_S, TESTS_S (defaults below add up to under 10 minutes).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gmath-gpu-out}
mkdir -p "$OUT"
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=$PYTHONPATH:/tmp/site
fi

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import jax, jaxlib; print(jax.__version__, jaxlib.__version__, jax.devices())"
  python3 -m pip list 2>/dev/null | grep -iE "^(jax|numpyro|ott-jax|pot|nashpy|blackjax|optax|scipy) "
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

bench() {  # bench SECONDS ARGS...: one benchmark run, its files copied to $OUT
  local limit=$1
  shift
  timeout --signal=INT --kill-after=60 "$limit" python3 -m benchmarks --device gpu --publish --no-plots \
    "$@" 2>&1 | tail -n 40
  cp benchmarks/results/gpu-*.json benchmarks/results/gpu-*.md "$OUT"/ 2>/dev/null || true
}
bench "${QUICK_S:-150}" --quick --note "GPU check script, quick mode"
bench "${FULL_S:-240}" --full --suite densities samples games \
  --note "GPU check script: full sizes of one GPU"
# eight test processes share the GPU: no preallocation of 75% of its memory each
XLA_PYTHON_CLIENT_PREALLOCATE=false HYPOTHESIS_PROFILE=ci timeout "${TESTS_S:-180}" \
  python3 -m pytest -q -n 8 -p no:cacheprovider >"$OUT/tests.log" 2>&1
echo "tests: exit $? (124: out of time)"
tail -n 15 "$OUT/tests.log"
