"""Matrix-free linear solves on pytrees used by proximal point, CGD and follow-the-ridge."""

from __future__ import annotations

import jax

from gmath.games._tree import tree_size

__all__ = ["solve_linear"]


def solve_linear(
    matvec, b, x0=None, *, symmetric: bool, tol: float, maxiter: int | None, normal: bool = False
):
    """Solve ``matvec(x) = b`` by CG (``symmetric``, positive definite), CG on the normal
    equations (``normal``: :math:`M^T M x = M^T b`, cheap to compile) or GMRES.

    Tolerances are relative (``|r| <= tol |b|``); iterations are bounded. Differentiable through
    implicit differentiation (:func:`jax.lax.custom_linear_solve` inside the JAX solvers).
    """
    n = max(tree_size(b), 1)
    if normal and not symmetric:
        rmatvec = jax.linear_transpose(matvec, b)
        return solve_linear(
            lambda t: rmatvec(matvec(t))[0],
            rmatvec(b)[0],
            x0,
            symmetric=True,
            tol=tol,
            maxiter=maxiter,
        )
    if symmetric:
        return jax.scipy.sparse.linalg.cg(
            matvec, b, x0=x0, tol=tol, atol=0.0, maxiter=maxiter if maxiter else 10 * n
        )[0]
    restart = min(n, 40)
    cycles = maxiter if maxiter else max(2, 4 * n // restart)
    return jax.scipy.sparse.linalg.gmres(
        matvec,
        b,
        x0=x0,
        tol=tol,
        atol=0.0,
        restart=restart,
        maxiter=cycles,
        solve_method="batched",
    )[0]
