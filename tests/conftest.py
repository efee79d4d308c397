"""Test harness: x64 on, strict dtype promotion, Hypothesis profiles.

Warnings are errors (``filterwarnings = error`` in pyproject.toml). Profiles, chosen by
``HYPOTHESIS_PROFILE`` (``make test`` uses ``ci``):

- ``dev``: random, 20 examples, no deadline (JAX compiles on first call).
- ``ci``: derandomised, 20 examples, no deadline: reproducible on every run.
- ``thorough``: 10x the examples of ``ci``, random.
"""

# jaxlib 0.10.2 on CPU: two independent batched LAPACK calls in one computation can deadlock
# (both wait in their parallel batch map for threads of the same intra-op pool; reliably with
# 2 cores). Turning off XLA's concurrency-optimised scheduler avoids it. Set before jax loads,
# and only where this jaxlib knows the flag (gmath._xla_flags; importing gmath loads no jax).
import gc
import os

from gmath._xla_flags import add_xla_flag

add_xla_flag("--xla_cpu_enable_concurrency_optimized_scheduler=false")
# Compile time. The suite's time is ~75% XLA:CPU compilation, and for gmath's large programs
# (second derivatives, the incomplete beta and gamma, the edge grid's batched gradients) the
# legacy elemental fusion emitter compiles 2-3.5x faster than the default MLIR fusion emitters
# (a Hessian of three Renyi forms: 20 s -> 6 s; the gradient of Beta.log_cdf: 8 s -> 4 s).
# The compiled programs compute the same HLO; the emitters differ at most in the rounding of
# transcendental approximations, which the tests' tolerances (a few ulps) already allow.
add_xla_flag("--xla_cpu_use_fusion_emitters=false")
# LLVM's optimisation level for the compiled CPU code: 1 instead of XLA's default 3. The tests
# run small inputs, so the code's speed hardly matters, and O1 compiles the large programs much
# faster (Beta's conformance program: 25 s at O3, 17 s at O1). O1 keeps O3's floating-point
# results in every test; O0 does not (it lowers fused multiply-adds differently in different
# programs: "identical laws give exactly 0" and jit-vs-eager identities failed under it).
add_xla_flag("--xla_backend_optimization_level=1")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

import mpmath  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

_COMMON = dict(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("ci", max_examples=20, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=200, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _isolate_mpmath_precision():
    """mpmath's precision is process-global: a test that sets ``mp.dps`` must not leak it."""
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps


def _memory_mappings():
    """This process's memory mappings and the kernel's limit on them; None where /proc is absent."""
    try:
        with open("/proc/self/maps", "rb") as maps:
            count = sum(1 for _ in maps)
        with open("/proc/sys/vm/max_map_count") as limit:
            return count, int(limit.read())
    except (OSError, ValueError):
        return None


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_code():
    """Drop jax's compiled executables after a test module once mappings pass 70% of the limit.

    Each XLA:CPU executable holds about 20 memory mappings of JIT-compiled code, and jax keeps
    executables cached for as long as the function objects live (module-level ``jax.jit``
    functions live for the whole session). Over the suite one worker compiles enough to pass
    Linux's default ``vm.max_map_count`` of 65530, after which mmap fails: XLA then reports
    "LLVM compilation error: Cannot allocate memory", raises ``MemoryError`` or segfaults. No
    module adds more than about 10,000 mappings (measured: test_conformance 6,900 from a fresh
    process, test_beta 5,900 more), so clearing at 70% of the limit (45,871 of 65,530) keeps a
    worker clear of it while later modules still reuse what earlier ones compiled (each clearing
    costs the recompilation of what later modules share). Where /proc does not tell, it clears
    after every module.
    """
    yield
    mappings = _memory_mappings()
    if mappings is None or mappings[0] > 0.7 * mappings[1]:
        gc.collect()
        jax.clear_caches()
        gc.collect()
