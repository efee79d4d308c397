"""Test harness: x64 on, strict dtype promotion, Hypothesis profiles.

Warnings are errors (``filterwarnings = error`` in pyproject.toml). Profiles, chosen by
``HYPOTHESIS_PROFILE`` (``make test`` uses ``ci``):

- ``dev``: random, 20 examples, no deadline (JAX compiles on first call).
- ``ci``: derandomised, 20 examples, no deadline: reproducible on every run.
- ``thorough``: 10x the examples of ``ci``, random.
"""

import importlib.util
import mmap
import os
from pathlib import Path

# jaxlib 0.10.2 on CPU: two independent batched LAPACK calls in one computation can deadlock
# (both wait in their parallel batch map for threads of the same intra-op pool; reliably with
# 2 cores). Turning off XLA's concurrency-optimised scheduler avoids it. Set before jax loads,
# and only where this jaxlib's XLA knows the flag: an unknown flag in XLA_FLAGS aborts the process.
_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def _xla_knows(flag: str) -> bool:
    # as benchmarks.environment.xla_knows: the tests must run without the benchmarks package
    spec = importlib.util.find_spec("jaxlib")
    libs = Path(spec.origin).parent.glob("*.so") if spec and spec.origin else ()
    name = flag.split("=")[0].lstrip("-").encode()
    for lib in (p for p in libs if p.stat().st_size > 0):
        with open(lib, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if m.find(name) >= 0:
                return True
    return False


if _FLAG.split("=")[0] not in os.environ.get("XLA_FLAGS", "") and _xla_knows(_FLAG):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FLAG}".strip()

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
