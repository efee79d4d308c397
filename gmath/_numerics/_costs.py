r"""Ground costs of the pairwise geometry: one frozen record per cost, never a new solver.

A cost record is what :func:`~gmath._numerics._geometry.point_cloud` needs to reduce a function
of the pairwise cost :math:`C_{ij} = c(x_i, y_j)`:

- ``pairwise(x, y, xx, yy)``: the ``[bx, by]`` block of :math:`C` from a block of rows, a block
  of columns and their cached squared norms (called on whole clouds and on tiles alike);
- ``translation_invariant``: whether :math:`c(x + t, y + t) = c(x, y)` (the cloud may be
  centred by one shift);
- ``symmetric``: whether :math:`c(x, y) = c(y, x)` (the self-transport of the Sinkhorn
  divergence iterates one symmetric potential only for a symmetric cost);
- ``pair_elements(d)`` and ``default_block(d)``: the memory one pair of a block costs and the
  default tile edge (the materialise-or-tile policy);
- optionally ``embed(x)``: a map of the points under which the cost *is* the squared Euclidean
  cost (Mahalanobis, cosine): the geometry embeds the points once and keeps the fast matmul
  form; and optionally ``mean(x, y, a, b)`` and ``bound(xx, yy)`` in linear time (the geometry
  falls back to one pass over all pairs).

The public records are re-exported as :mod:`gmath.divergences.costs`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
from jax import lax

from gmath._config import error_if_not
from gmath._numerics._pairwise import (
    BLOCK_SIZE,
    DIRECT_DISTANCE_MAX_DIM,
    MATERIALIZE_MAX_ELEMENTS,
    distances,
    squared_distances,
)
from gmath._numerics._precision import matmul
from gmath._pytree import dataclass_transform, register_record, static_field

__all__ = [
    "Cosine",
    "CostMatrix",
    "Euclidean",
    "KernelCost",
    "Mahalanobis",
    "PNorm",
    "PairCost",
    "SquaredEuclidean",
    "as_cost",
]

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, static_field))
def _record(cls: type[_T]) -> type[_T]:
    cls = dataclasses.dataclass(frozen=True)(cls)
    return register_record(cls)


def _direct_block(d: int) -> int:
    """Tile edge for costs that subtract coordinates directly (``[b, b, d]`` blocks)."""
    return max(64, int((MATERIALIZE_MAX_ELEMENTS / (4 * d)) ** 0.5))


# ------------------------------------------------------------------------ squared Euclidean
@_record
class SquaredEuclidean:
    r"""The cost :math:`c(x, y) = \|x - y\|^2` (the default), by the matmul form on centred
    points."""

    translation_invariant = True
    symmetric = True

    def pairwise(self, x, y, xx, yy) -> jax.Array:
        """``[bx, by]`` block from points and their cached squared norms."""
        return squared_distances(x, y, xx, yy)

    def pair_elements(self, d: int) -> int:
        """Memory (array elements) one pair of the block costs."""
        return 1

    def default_block(self, d: int) -> int:
        return BLOCK_SIZE

    def mean(self, x, y, a, b) -> jax.Array:
        r"""Mean cost :math:`\sum_{ij}\bar a_i\bar b_j\|x_i - y_j\|^2` (weights normalised) in
        :math:`O((n + m) d)`: :math:`\|\bar x - \bar y\|^2 + \operatorname{tr}\Sigma_x +
        \operatorname{tr}\Sigma_y` for the weighted means and covariances."""
        pa, pb = a / jnp.sum(a), b / jnp.sum(b)
        mx, my = matmul(pa, x), matmul(pb, y)
        vx = jnp.sum(pa * jnp.sum((x - mx) ** 2, -1))
        vy = jnp.sum(pb * jnp.sum((y - my) ** 2, -1))
        return jnp.sum((mx - my) ** 2) + vx + vy

    def bound(self, xx, yy) -> jax.Array:
        r""":math:`(\max_i\|x_i\| + \max_j\|y_j\|)^2 \ge \max_{ij}\|x_i - y_j\|^2` (triangle
        inequality), from the cached squared norms, in :math:`O(n + m)`; not differentiated."""
        rx, ry = jnp.sqrt(jnp.max(xx)), jnp.sqrt(jnp.max(yy))
        return lax.stop_gradient((rx + ry) ** 2)


# -------------------------------------------------------------------------------- p-norms
@_record
class Euclidean:
    r"""The cost :math:`c(x, y) = \|x - y\|` with a zero gradient at coincident points.

    In dimension up to :data:`~gmath._numerics._pairwise.DIRECT_DISTANCE_MAX_DIM` the coordinates
    are subtracted directly (exact zeros at coincident points, ``[b, b, d]`` blocks), so the
    materialise-or-tile policy budgets ``d`` elements per pair and shrinks the tiles.
    """

    translation_invariant = True
    symmetric = True

    def pairwise(self, x, y, xx, yy) -> jax.Array:
        del xx, yy
        return distances(x, y)

    def pair_elements(self, d: int) -> int:
        return d if d <= DIRECT_DISTANCE_MAX_DIM else 1

    def default_block(self, d: int) -> int:
        return BLOCK_SIZE if d > DIRECT_DISTANCE_MAX_DIM else _direct_block(d)

    def bound(self, xx, yy) -> jax.Array:
        r""":math:`\max_i\|x_i\| + \max_j\|y_j\| \ge \max_{ij}\|x_i - y_j\|`; not differentiated."""
        return lax.stop_gradient(jnp.sqrt(jnp.max(xx)) + jnp.sqrt(jnp.max(yy)))


def _check_exponent(value, name: str, low: float, *, closed: bool) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"PNorm: {name} must be a Python number (it selects the computation), got "
            f"{type(value).__name__}."
        ) from None
    ok = v >= low if closed else v > low
    if not ok or math.isnan(v):
        sign = ">=" if closed else ">"
        raise ValueError(f"PNorm: {name} must be {sign} {low}, got {v}.")
    return v


@_record
class PNorm:
    r"""The cost :math:`c(x, y) = \|x - y\|_p^q` for :math:`p \ge 1` (``inf`` allowed) and
    :math:`q > 0`.

    ``PNorm(2, 2)`` is :class:`SquaredEuclidean` and ``PNorm(2, 1)`` is :class:`Euclidean` (they
    compute the same numbers by their own faster forms). Other exponents subtract coordinates
    directly (``[b, b, d]`` blocks). The norm is evaluated scaled by the largest coordinate
    difference, :math:`\|u\|_p = m\,(\sum_k (|u_k|/m)^p)^{1/p}` with :math:`m = \max_k |u_k|`, so
    it neither overflows nor underflows for large :math:`p`; the gradient at coincident points is
    zero (the minimal-norm subgradient).

    Args:
      p: the norm's exponent, a Python float :math:`\ge 1` or ``inf`` (static).
      q: the power of the norm, a Python float :math:`> 0` (static).
    """

    p: float = static_field(default=2.0)
    q: float = static_field(default=1.0)

    translation_invariant = True
    symmetric = True

    def __post_init__(self):
        object.__setattr__(self, "p", _check_exponent(self.p, "p", 1.0, closed=True))
        object.__setattr__(self, "q", _check_exponent(self.q, "q", 0.0, closed=False))

    def pairwise(self, x, y, xx, yy) -> jax.Array:
        if self.p == 2.0 and self.q == 2.0:
            return squared_distances(x, y, xx, yy)
        if self.p == 2.0 and self.q == 1.0:
            return distances(x, y)
        diff = x[:, None, :] - y[None, :, :]
        u = jnp.where(diff == 0, 0, jnp.abs(diff))  # |.|' = 0 at 0: the minimal subgradient
        top = jnp.max(u, axis=-1)
        pos = top > 0
        safe_top = jnp.where(pos, top, 1)
        if math.isinf(self.p):
            norm_q = safe_top**self.q
        else:
            r = u / safe_top[..., None]
            s = jnp.sum(r**self.p, axis=-1)  # in [1, d]
            norm_q = safe_top**self.q * s ** (self.q / self.p)
        return jnp.where(pos, norm_q, 0)

    def pair_elements(self, d: int) -> int:
        if self.p == 2.0 and self.q == 2.0:
            return 1
        if self.p == 2.0 and self.q == 1.0:
            return Euclidean().pair_elements(d)
        return d

    def default_block(self, d: int) -> int:
        return BLOCK_SIZE if self.pair_elements(d) == 1 else _direct_block(d)


# ---------------------------------------------------------------- costs that embed the points
@_record
class Mahalanobis:
    r"""The cost :math:`c(x, y) = (x - y)^\top M (x - y)` for a symmetric positive-definite
    ``[d, d]`` matrix :math:`M` (a leaf: traceable and differentiable).

    With :math:`M = L L^\top` (Cholesky) it is the squared Euclidean cost between the embedded
    points :math:`L^\top x`, so the geometry embeds the points once and keeps the matmul form,
    the linear-time mean cost and the tiled path. A matrix that is not positive definite gives
    NaN costs (an :class:`~gmath.config.InvalidParameterError` in checks mode).
    """

    precision: Any

    translation_invariant = True
    symmetric = True

    def embed(self, x) -> jax.Array:
        m = jnp.asarray(self.precision, x.dtype)
        d = x.shape[-1]
        if m.shape != (d, d):
            raise ValueError(
                f"Mahalanobis: precision must be a [{d}, {d}] matrix for points of dimension "
                f"{d}, got shape {m.shape}."
            )
        factor = jnp.linalg.cholesky(0.5 * (m + m.T))
        error_if_not(
            jnp.all(jnp.isfinite(factor)),
            "Mahalanobis: precision must be symmetric positive definite.",
        )
        return matmul(x, factor)


@_record
class Cosine:
    r"""The cosine cost :math:`c(x, y) = 1 - \frac{x\cdot y}{\|x\|\,\|y\|}`, in :math:`[0, 2]`.

    It is half the squared Euclidean cost between the unit vectors,
    :math:`\tfrac12\|\hat x - \hat y\|^2`, so the geometry embeds the points as
    :math:`\hat x/\sqrt2` and keeps the matmul form. The cosine of a zero vector is undefined
    (scipy's cosine distance is NaN there): a zero vector makes the costs NaN, and, through the
    cloud's common centring shift, the whole solve.
    """

    translation_invariant = False
    symmetric = True

    def embed(self, x) -> jax.Array:
        sq = jnp.sum(x * x, axis=-1, keepdims=True)
        pos = sq > 0
        inv = lax.rsqrt(jnp.where(pos, 2 * sq, 1))
        return jnp.where(pos, x * inv, jnp.nan)


# --------------------------------------------------------------------------- user functions
@_record
class PairCost:
    r"""A user cost :math:`c(x, y)` of **one pair** of points (``[d], [d] -> scalar``).

    ``fn`` is vmapped over the rows and columns of each block, so the tiled path keeps
    :math:`O((n + m) d)` memory whatever the cost; it sees the points as given (not centred).
    Gradients with respect to the points flow through ``fn`` (it must be differentiable where
    they are wanted). ``fn`` is static (hashed by identity: define it once, not as a fresh
    ``lambda`` per call).

    Args:
      fn: ``fn(x_i, y_j) -> scalar``.
      symmetric: declare :math:`c(x, y) = c(y, x)`; default ``False`` (the Sinkhorn divergence
        needs a symmetric cost).
    """

    fn: Callable = static_field()
    symmetric: bool = static_field(default=False)

    translation_invariant = False

    def __post_init__(self):
        if not callable(self.fn):
            raise TypeError(f"PairCost: fn must be callable, got {type(self.fn).__name__}.")

    def pairwise(self, x, y, xx, yy) -> jax.Array:
        del xx, yy
        row = jax.vmap(self.fn, in_axes=(None, 0))
        return jax.vmap(row, in_axes=(0, None))(x, y)

    def pair_elements(self, d: int) -> int:
        return d

    def default_block(self, d: int) -> int:
        return _direct_block(d)


# ----------------------------------------------------------------------------- kernels
@_record
class KernelCost:
    r"""A kernel :math:`k(x, y)` of :mod:`gmath.divergences.kernels` as the pairwise function.

    Its Gram blocks are ``kernel.matrix``; translation-invariant kernels let the cloud be centred;
    a non-smooth radial kernel (Laplace) uses direct coordinate differences, budgeted like
    :class:`Euclidean`.
    """

    kernel: Any

    symmetric = True

    @property
    def translation_invariant(self) -> bool:
        return bool(self.kernel.translation_invariant)

    def _direct(self, d: int) -> bool:
        return not getattr(self.kernel, "smooth", True) and d <= DIRECT_DISTANCE_MAX_DIM

    def pairwise(self, x, y, xx, yy) -> jax.Array:
        del xx, yy
        return self.kernel.matrix(x, y)

    def pair_elements(self, d: int) -> int:
        return d if self._direct(d) else 1

    def default_block(self, d: int) -> int:
        return Euclidean().default_block(d) if self._direct(d) else BLOCK_SIZE


# ------------------------------------------------------------------------ a given matrix
@_record
class CostMatrix:
    r"""A precomputed ``[n, m]`` cost matrix (a leaf: differentiable). The geometry keeps it
    (always materialised); its rows and columns are indexed by placeholder points."""

    matrix: Any

    translation_invariant = False
    symmetric = False
    precomputed = True  # the policy always materialises it

    def pairwise(self, x, y, xx, yy) -> jax.Array:
        del xx, yy
        if (x.shape[0], y.shape[0]) != self.matrix.shape:
            raise ValueError("CostMatrix: a precomputed cost is only read whole.")
        return self.matrix

    def pair_elements(self, d: int) -> int:
        return 1

    def default_block(self, d: int) -> int:
        return BLOCK_SIZE

    def mean(self, x, y, a, b) -> jax.Array:
        finite = jnp.isfinite(self.matrix)
        c = jnp.where(finite, self.matrix, 0)
        w = a[:, None] * b[None, :] * finite
        return jnp.sum(w * c) / jnp.sum(w)

    def bound(self, xx, yy) -> jax.Array:
        c = jnp.where(jnp.isfinite(self.matrix), self.matrix, -jnp.inf)
        return lax.stop_gradient(jnp.max(c))


# ------------------------------------------------------------------------ resolution
_NAMES: dict[str, Callable[[], Any]] = {
    "sqeuclidean": SquaredEuclidean,
    "euclidean": Euclidean,
    "cosine": Cosine,
}
_COST_TYPES = (SquaredEuclidean, Euclidean, PNorm, Mahalanobis, Cosine, PairCost, KernelCost)


def as_cost(cost, owner: str):
    """The cost record of a user's ``cost=`` option: ``None`` (squared Euclidean), a name
    (``"sqeuclidean"``, ``"euclidean"``, ``"cosine"``), a cost record, or a callable of one pair
    (wrapped in :class:`PairCost`). Arrays (precomputed matrices) are handled by the caller."""
    if cost is None:
        return SquaredEuclidean()
    if isinstance(cost, str):
        if cost not in _NAMES:
            raise ValueError(
                f"{owner}: cost must be one of {sorted(_NAMES)}, a cost record of "
                f"gmath.divergences.costs, a function of one pair or an [n, m] cost matrix; got "
                f"{cost!r}."
            )
        return _NAMES[cost]()
    if isinstance(cost, _COST_TYPES) or hasattr(cost, "pairwise"):
        return cost
    if callable(cost):
        return PairCost(cost)
    raise TypeError(
        f"{owner}: cost must be a name, a cost record of gmath.divergences.costs, a function of "
        f"one pair or an [n, m] cost matrix, got {type(cost).__name__}."
    )
