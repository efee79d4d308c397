r"""Small dense linear solves written in JAX operations.

Why not :func:`jax.numpy.linalg.solve` for the many small systems solved inside ``vmap``-ed
loops (the support solves of the matrix-game solvers): on CPU, jaxlib 0.10.2 runs a batched
LAPACK call through a parallel batch map on the intra-op thread pool, and a ``vmap`` of a
``while_loop`` containing such calls deadlocks now and then (all pool threads waiting; observed
with a few hundred 20 x 20 games on 2 cores). Gaussian elimination in ``lax.fori_loop`` has no
such call, batches as plain array operations, and costs :math:`\tfrac{2}{3} n^3` flops, as LU does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmath._numerics._precision import HIGHEST

__all__ = ["gauss_solve"]


def gauss_solve(M, rhs):
    r"""Solve :math:`M x = b` for one square system by Gaussian elimination with partial pivoting.

    Row :math:`k` is swapped with the row of largest :math:`|M_{ik}|, i \ge k` before it is used
    to eliminate column :math:`k` below it (Golub and Van Loan, Matrix Computations, 3.4); then
    back substitution. A singular ``M`` gives non-finite entries (callers check with
    ``isfinite``). Vectorises under ``vmap``.

    Args:
      M: ``[n, n]`` matrix. rhs: ``[n]`` right-hand side, same dtype.

    Returns:
      ``[n]`` solution in the dtype of ``M``.

    Examples:
      >>> import jax.numpy as jnp
      >>> M = jnp.array([[0.0, 2.0], [1.0, 1.0]])
      >>> [float(v) for v in gauss_solve(M, jnp.array([2.0, 3.0]))]
      [2.0, 1.0]
    """
    n = M.shape[0]
    rows = jnp.arange(n)
    Ab = jnp.concatenate([M, rhs[:, None]], axis=1)

    def eliminate(k, Ab):
        p = jnp.argmax(jnp.where(rows >= k, jnp.abs(Ab[:, k]), -1.0))
        row_k, row_p = Ab[k], Ab[p]
        Ab = Ab.at[p].set(row_k).at[k].set(row_p)
        factors = jnp.where(rows > k, Ab[:, k] / Ab[k, k], 0.0)
        return Ab - factors[:, None] * Ab[k][None, :]

    Ab = jax.lax.fori_loop(0, n, eliminate, Ab)
    U, c = Ab[:, :n], Ab[:, n]

    def substitute(i, x):
        k = n - 1 - i
        # x[k] is still 0 here
        return x.at[k].set((c[k] - jnp.dot(U[k], x, precision=HIGHEST)) / U[k, k])

    return jax.lax.fori_loop(0, n, substitute, jnp.zeros_like(c))
