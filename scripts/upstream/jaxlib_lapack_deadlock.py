"""Standalone reproducer: two independent batched LAPACK calls deadlock jaxlib 0.10.2 on CPU.

``python scripts/upstream/jaxlib_lapack_deadlock.py`` hangs within a few calls on a 2-core
machine (all intra-op pool threads wait in ``jax::ParallelBatchMap`` inside ``_lapack.so``;
``faulthandler`` prints the stack after 40 s and exits). With
``XLA_FLAGS=--xla_cpu_enable_concurrency_optimized_scheduler=false`` it runs ~1000 calls in
20 s and prints ``ok``. One batched solve alone, or the two in separate computations, never hung.
"""

import faulthandler
import time

import jax
import jax.numpy as jnp

faulthandler.dump_traceback_later(40, exit=True)
B, D = 300, 64
eye = jnp.eye(D)
L = jnp.tril(jax.random.normal(jax.random.key(0), (B, D, D))) + 8 * eye
M = jnp.tril(jax.random.normal(jax.random.key(2), (B, D, D))) + 8 * eye
b = jax.random.normal(jax.random.key(1), (B, D, D))


@jax.jit
def two_independent_solves(L, M, b):
    solve = jax.scipy.linalg.solve_triangular
    return solve(L, b, lower=True).sum() + solve(M, b, lower=True).sum()


start, calls = time.perf_counter(), 0
while time.perf_counter() - start < 20:
    jax.block_until_ready(two_independent_solves(L, M, b))
    calls += 1
print("ok", calls)
