"""Matrix-free linear solves on pytrees used by proximal point, CGD and follow-the-ridge."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath.games._tree import tree_norm, tree_scale, tree_size

__all__ = ["solve_linear"]


def solve_linear(
    matvec,
    b,
    x0=None,
    *,
    symmetric: bool,
    tolerance: float,
    max_iterations: int | None,
    normal: bool = False,
) -> Any:
    """Solve ``matvec(x) = b`` by CG (``symmetric``, positive definite), CG on the normal
    equations (``normal``: :math:`M^T M x = M^T b`, cheap to compile) or GMRES.

    Tolerances are relative (``|r| <= tolerance |b|``); iterations are bounded. Differentiable
    through implicit differentiation (:func:`jax.lax.custom_linear_solve` inside the JAX solvers).
    """
    # the system is linear in b: solve for b / |b| and scale back, so that the inner products
    # of the Krylov method (squares of |b|) cannot overflow for large right-hand sides
    scale = jax.lax.stop_gradient(tree_norm(b))
    scale = jnp.where((scale > 0) & jnp.isfinite(scale), scale, jnp.ones_like(scale))
    x0 = None if x0 is None else tree_scale(1.0 / scale, x0)
    u = _solve_unit(
        matvec, tree_scale(1.0 / scale, b), x0, symmetric, tolerance, max_iterations, normal
    )
    return tree_scale(scale, u)


def _solve_unit(matvec, b, x0, symmetric, tolerance, max_iterations, normal):
    n = max(tree_size(b), 1)
    if normal and not symmetric:
        rmatvec = jax.linear_transpose(matvec, b)
        return solve_linear(
            lambda t: rmatvec(matvec(t))[0],
            rmatvec(b)[0],
            x0,
            symmetric=True,
            tolerance=tolerance,
            max_iterations=max_iterations,
        )
    if symmetric:
        return jax.scipy.sparse.linalg.cg(
            matvec,
            b,
            x0=x0,
            tol=tolerance,
            atol=0.0,
            maxiter=max_iterations if max_iterations else 10 * n,
        )[0]
    restart = min(n, 40)
    cycles = max_iterations if max_iterations else max(2, 4 * n // restart)
    return jax.scipy.sparse.linalg.gmres(
        matvec,
        b,
        x0=x0,
        tol=tolerance,
        atol=0.0,
        restart=restart,
        maxiter=cycles,
        solve_method="batched",
    )[0]
