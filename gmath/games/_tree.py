"""Small pytree arithmetic shared by the game solvers (private)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = [
    "tree_add",
    "tree_all_finite",
    "tree_axpy",
    "tree_max_abs",
    "tree_norm",
    "tree_scale",
    "tree_select",
    "tree_size",
    "tree_sub",
    "tree_vdot",
    "tree_zeros_like",
]

_map = jax.tree_util.tree_map


def tree_add(a: Any, b: Any) -> Any:
    return _map(lambda u, v: u + v, a, b)


def tree_sub(a: Any, b: Any) -> Any:
    return _map(lambda u, v: u - v, a, b)


def tree_scale(s: Any, a: Any) -> Any:
    """``s * a`` with ``s`` cast to each leaf's dtype (strict promotion safe)."""
    return _map(lambda u: jnp.asarray(s, u.dtype) * u, a)


def tree_axpy(s: Any, a: Any, b: Any) -> Any:
    """``s * a + b``."""
    return _map(lambda u, v: jnp.asarray(s, u.dtype) * u + v, a, b)


def tree_vdot(a: Any, b: Any) -> jax.Array:
    leaves = [
        jnp.vdot(u, v)
        for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True)
    ]
    if not leaves:
        return jnp.zeros(())
    return sum(leaves[1:], leaves[0])


def tree_max_abs(a: Any) -> jax.Array:
    leaves = jax.tree_util.tree_leaves(a)
    if not leaves:
        return jnp.zeros(())
    return jnp.max(jnp.stack([jnp.max(jnp.abs(u), initial=0) for u in leaves]))


def tree_norm(a: Any) -> jax.Array:
    """Euclidean norm of all leaves, computed on ``a / max|a|`` so that no square overflows
    (finite for entries up to the dtype's maximum; the scale is a constant for gradients, exact
    since the norm is homogeneous)."""
    leaves = jax.tree_util.tree_leaves(a)
    if not leaves:
        return jnp.zeros(())
    m = jax.lax.stop_gradient(tree_max_abs(a))
    m = jnp.where((m > 0) & jnp.isfinite(m), m, jnp.ones_like(m))
    sq = [jnp.sum(jnp.square(jnp.abs(u) / m.astype(jnp.abs(u).dtype))) for u in leaves]
    return m * jnp.sqrt(sum(sq[1:], sq[0]))


def tree_zeros_like(a: Any) -> Any:
    return _map(jnp.zeros_like, a)


def tree_select(pred: Any, a: Any, b: Any) -> Any:
    """``where(pred, a, b)`` leaf by leaf."""
    return _map(lambda u, v: jnp.where(pred, u, v), a, b)


def tree_all_finite(a: Any) -> jax.Array:
    leaves = [
        jnp.all(jnp.isfinite(u))
        for u in jax.tree_util.tree_leaves(a)
        if jnp.issubdtype(jnp.result_type(u), jnp.inexact)
    ]
    if not leaves:
        return jnp.asarray(True)
    return jnp.all(jnp.stack(leaves))


def tree_size(a: Any) -> int:
    return sum(int(jnp.size(u)) for u in jax.tree_util.tree_leaves(a))
