"""The device's own limits, measured in the same run as the cases.

- **Memory bandwidth** from an elementwise pass ``x -> x * 0.5 + 1`` over a large array whose
  buffer is donated, so that each call reads and writes the same memory (bytes = 2 n itemsize).
  The same pass *without* donation (allocating a fresh output, as any function returning a new
  array does) is also recorded: on a CPU the page faults of the fresh output dominate it.
- **exp throughput** from ``sum(exp(a[:, None] - b[None, :]))``, the pattern of Sinkhorn and
  kernel sums: XLA fuses it into one loop with no memory traffic, so it is bound by the exp.
- **FLOP throughput** from a square matrix product (2 n^3 FLOPs).

Each figure is the best of several repeats (a limit is a best case), per dtype for exp and FLOPs.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["best_of", "elementwise_pass", "measure_limits"]


def best_of(first: dict, second: dict) -> dict:
    """Limits measured twice (start and end of a run) combined: the larger of each figure, since
    a limit is a best case and a shared machine only ever makes a measurement slower."""
    out = dict(first)
    for k in ("bandwidth_Bps", "fresh_output_pass_Bps"):
        out[k] = max(first.get(k, 0), second.get(k, 0))
    out["dtypes"] = {}
    for dt in set(first.get("dtypes", {})) | set(second.get("dtypes", {})):
        a, b = first["dtypes"].get(dt, {}), second["dtypes"].get(dt, {})
        out["dtypes"][dt] = {
            **a,
            **{k: max(a.get(k, 0), b.get(k, 0)) for k in ("exps_per_s", "flops_per_s")},
        }
    out["measurements"] = [
        {k: v for k, v in m.items() if k not in ("method", "measurements")} for m in (first, second)
    ]
    return out


def _best(call, repeats: int) -> float:
    call()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def elementwise_pass(donate: bool):
    """The reference pass ``x * 2 + 1`` (or, donated, ``x * 0.5 + 1``, which can be chained forever
    without overflow). Same arithmetic cost: one multiply-add per element."""
    if donate:
        return lambda x: x * 0.5 + 1.0
    return lambda x: x * 2.0 + 1.0


def measure_limits(
    *, bandwidth_n: int, exp_n: int, matmul_n: int, dtypes=("float32",), repeats: int = 5
) -> dict:
    """Measure bandwidth (bytes/s), exp/s and FLOP/s on the default JAX device."""
    import jax
    import jax.numpy as jnp

    out: dict = {"method": __doc__.split("\n\n")[1].strip() if __doc__ else "", "dtypes": {}}
    # bandwidth, float32
    x = jnp.arange(bandwidth_n, dtype=jnp.float32) * 1e-7
    f = jax.jit(elementwise_pass(True), donate_argnums=0)
    state = [f(jnp.array(x, copy=True))]

    def donated():
        state[0] = f(state[0])
        state[0].block_until_ready()

    t = _best(donated, repeats)
    nbytes = 2 * bandwidth_n * 4
    out["bandwidth_Bps"] = nbytes / t
    out["bandwidth_n"] = bandwidth_n
    g = jax.jit(elementwise_pass(False))
    t_fresh = _best(lambda: g(x).block_until_ready(), repeats)
    out["fresh_output_pass_Bps"] = nbytes / t_fresh
    from benchmarks.harness import x64

    for dt in dtypes:
        with x64(dt == "float64"):
            out["dtypes"][dt] = _compute_limits(dt, exp_n, matmul_n, repeats)
    return out


def _compute_limits(dt, exp_n, matmul_n, repeats):
    import jax
    import jax.numpy as jnp

    d = jnp.dtype(dt)
    a = jnp.linspace(0.0, 1.0, exp_n, dtype=d)
    b = jnp.linspace(0.0, 2.0, exp_n, dtype=d)
    h = jax.jit(lambda a, b: jnp.sum(jnp.exp(a[:, None] - b[None, :])))
    t_exp = _best(lambda: h(a, b).block_until_ready(), repeats)
    m = jnp.asarray(np.random.default_rng(0).standard_normal((matmul_n, matmul_n)), dtype=d)
    mm = jax.jit(lambda u, v: u @ v)
    t_mm = _best(lambda: mm(m, m).block_until_ready(), max(2, repeats // 2))
    return {
        "exps_per_s": exp_n * exp_n / t_exp,
        "exp_n": exp_n,
        "flops_per_s": 2.0 * matmul_n**3 / t_mm,
        "matmul_n": matmul_n,
    }
