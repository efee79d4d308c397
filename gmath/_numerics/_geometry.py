r"""One geometry for pairwise work: two point clouds, a cost, and the reductions over all pairs.

Every sample divergence and metric of :mod:`gmath.divergences` (Sinkhorn, MMD, energy distance,
KSD, precision/recall, mode coverage) reduces a function of the pairwise cost
:math:`C_{ij} = c(x_i, y_j)` between a cloud :math:`x_{1..n}` and a cloud :math:`y_{1..m}`. A
:class:`PointCloud` holds, once for all of them,

- the points, centred by **one** common shift :math:`t = \tfrac12(\bar x + \bar y)` (for a
  translation-invariant cost :math:`C` is unchanged and the inner products of the matmul form
  :math:`\|x\|^2 + \|y\|^2 - 2x\cdot y` are better conditioned: the cancellation is relative to
  the spread of the clouds, not to their distance from the origin);
- the cached squared norms :math:`\|x_i\|^2`, :math:`\|y_j\|^2`;
- the cost, a record of :mod:`gmath._numerics._costs` (:class:`SquaredEuclidean` by default,
  p-norms, Mahalanobis, cosine, a user function of one pair, a precomputed matrix, or a kernel
  through :class:`KernelCost`): a new cost is a new record with ``pairwise``, not a new solver;
  a cost that is the squared Euclidean cost of embedded points (Mahalanobis, cosine) is built
  as exactly that;
- the one **materialise-or-tile** policy (:func:`materialises`): small problems compute the
  ``[n, m]`` matrix in one piece, the rest stream tiles through the engine of
  :mod:`gmath._numerics._pairwise` with :math:`O((n + m) d)` memory, forward and backward;

and the reductions the consumers need: row/column log-sum-exps and Gibbs sums (Sinkhorn),
transport-plan marginals, kernel or cost times a vector (MMD, energy), a generic row sum of a
function of the cost block (KSD), and row minima, k smallest values and ball counts (k-NN metrics).

The pairwise distance formulas themselves live in :mod:`gmath._numerics._pairwise`
(:func:`~gmath._numerics._pairwise.squared_distances` and
:func:`~gmath._numerics._pairwise.distances`) and in the cost records; no other module writes
them (a source scan in the tests enforces it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gmath._numerics._costs import CostMatrix, Euclidean, KernelCost, SquaredEuclidean, _record
from gmath._numerics._pairwise import (
    MATERIALIZE_MAX_ELEMENTS,
    pairwise_logsumexp,
    pairwise_sum,
)
from gmath._numerics._precision import matmul
from gmath._pytree import static_field

__all__ = [
    "REUSE_DENSE_ALWAYS_ELEMENTS",
    "REUSE_DENSE_MAX_ELEMENTS",
    "REUSE_DENSE_MIN_DIM",
    "ROW_BLOCK",
    "CostMatrix",
    "Euclidean",
    "KernelCost",
    "PointCloud",
    "SquaredEuclidean",
    "centring_shift",
    "materialises",
    "point_cloud",
]

# ----------------------------------------------------------------------------------- policy
#: A cloud reduced many times (Sinkhorn) keeps its cost matrix only below this many pairs, or ...
REUSE_DENSE_ALWAYS_ELEMENTS = 1 << 16
#: ... up to this many pairs in dimension above :data:`REUSE_DENSE_MIN_DIM`: otherwise re-reading
#: the matrix each pass is slower than recomputing cache-sized tiles from the points by a matmul
#: (measured on the 2-core CPU, d = 3, float32, one Sinkhorn iteration: at n = m = 1000, tiled
#: 0.82 ms against materialised 1.08 ms; at 2000, 3.9 ms against 3.7 ms; at 5000, 168 ms against
#: 294 ms, loaded machine).
REUSE_DENSE_MAX_ELEMENTS = min(MATERIALIZE_MAX_ELEMENTS, 1 << 20)
#: Recomputing a tile costs 2d flops per pair: above this dimension a reused matrix is kept.
REUSE_DENSE_MIN_DIM = 8
#: Row-block height of the k-NN reductions (row minima, k smallest, ball counts).
ROW_BLOCK = 512


def materialises(n: int, m: int, d: int, cost, materialize: bool | None, *, reuse: bool) -> bool:
    """The materialise-or-tile policy of the library, in one place.

    ``materialize`` (the user's option) forces (``True``) or forbids (``False``) the materialised
    path. By default: a cloud reduced once materialises when its ``n m`` pairs, at
    ``cost.pair_elements(d)`` elements each, fit :data:`MATERIALIZE_MAX_ELEMENTS`; a cloud
    reduced many times (``reuse``) keeps its matrix by the rule of
    :data:`REUSE_DENSE_MAX_ELEMENTS` (in any dimension for a cost of direct coordinate
    differences: Sinkhorn with the L1 cost, n = m = 1000, d = 3, took 703 ms tiled).
    """
    if getattr(cost, "precomputed", False):
        return True  # a given matrix is the only form of the cost
    if materialize is not None:
        return bool(materialize)
    size = n * m
    if reuse:
        # a cost of direct coordinate differences (p-norms, a user's function) costs far more
        # than the matmul's 2d flops per pair to recompute: keep its matrix where it fits
        expensive = d > REUSE_DENSE_MIN_DIM or cost.pair_elements(d) > 1
        return size <= REUSE_DENSE_ALWAYS_ELEMENTS or (
            size <= REUSE_DENSE_MAX_ELEMENTS and expensive
        )
    return size * cost.pair_elements(d) <= MATERIALIZE_MAX_ELEMENTS


def centring_shift(x, y=None) -> jax.Array:
    r"""The one centring shift :math:`t = \tfrac12(\bar x + \bar y)` (:math:`\bar x` for one
    cloud), not differentiated: a translation-invariant cost is unchanged by it."""
    if y is None:
        return lax.stop_gradient(jnp.mean(x, 0))
    return lax.stop_gradient(0.5 * (jnp.mean(x, 0) + jnp.mean(y, 0)))


# ------------------------------------------------------------------------- block functions
# Module-level (hashable) block functions of the tiled engine. params = (cost, ...); row
# features start with (x, |x|^2), column features with (y, |y|^2).
def _lse_block(params, xs, ys):
    cost, inv_eps = params
    x, xx = xs
    y, yy, h = ys
    return (h[None, :] - cost.pairwise(x, y, xx, yy)) * inv_eps


def _gibbs_block(params, xs, ys):
    cost, inv_eps = params
    x, xx, own = xs
    y, yy, other, lw = ys
    c = cost.pairwise(x, y, xx, yy)
    return jnp.exp((own[:, None] + other[None, :] - c) * inv_eps + lw[None, :])


def _plan_block(params, xs, ys):
    cost, inv_eps = params
    x, xx, fx, la = xs
    y, yy, gy, lb = ys
    c = cost.pairwise(x, y, xx, yy)
    p = jnp.exp((fx[:, None] + gy[None, :] - c) * inv_eps + la[:, None] + lb[None, :])
    return jnp.stack([p, p * c], axis=-1)


def _apply_block(cost, xs, ys):
    x, xx = xs
    y, yy, v = ys
    return cost.pairwise(x, y, xx, yy) * v[None, :]


@dataclasses.dataclass(frozen=True)
class _FnBlock:
    """Block function ``fn(params, C_block, (x, *x_features), (y, *y_features))`` (hashable)."""

    fn: Callable

    def __call__(self, params, xs, ys):
        cost, p = params
        x, xx, *xf = xs
        y, yy, *yf = ys
        return self.fn(p, cost.pairwise(x, y, xx, yy), (x, *xf), (y, *yf))


# ------------------------------------------------------------------------------ the record
@_record
class PointCloud:
    r"""Two point clouds with a cost: the geometry of every pairwise reduction (see the module).

    Build it with :func:`point_cloud`. Arrays are pytree leaves (the record can be traced,
    differentiated, passed through ``custom_vjp``); the policy fields are static.

    Attributes:
      x: ``[n, d]`` row points, centred by ``shift``. y: ``[m, d]`` column points, centred.
      xx: ``[n]`` cached :math:`\|x_i\|^2`. yy: ``[m]`` cached :math:`\|y_j\|^2`.
      shift: the ``[d]`` centring shift subtracted from both clouds (zero when not centred).
      cost: the cost record (:class:`SquaredEuclidean`, :class:`Euclidean`, :class:`KernelCost`).
      matrix: the ``[n, m]`` cost matrix when it is kept (a reused, materialised cloud), else None.
      matrix_t: its transpose (column reductions then read contiguous rows), else None.
      materialize: the user's option (None: by size). block_size: the user's tile edge.
      reuse: whether the cloud is reduced many times (the policy keeps its matrix).
    """

    x: Any
    y: Any
    xx: Any
    yy: Any
    shift: Any
    cost: Any
    matrix: Any = None
    matrix_t: Any = None
    materialize: bool | None = static_field(default=None)
    block_size: int | None = static_field(default=None)
    reuse: bool = static_field(default=False)

    # ------------------------------------------------------------------ policy and shapes
    @property
    def shape(self) -> tuple[int, int]:
        return self.x.shape[0], self.y.shape[0]

    @property
    def materialised(self) -> bool:
        """Whether reductions take the materialised path (:func:`materialises`)."""
        n, m = self.shape
        return materialises(n, m, self.x.shape[1], self.cost, self.materialize, reuse=self.reuse)

    def _engine(self) -> dict:
        block = self.block_size or self.cost.default_block(self.x.shape[1])
        return dict(block_size=block, materialize=self.materialised)

    # ------------------------------------------------------------------- derived clouds
    def transpose(self) -> PointCloud:
        """The cloud with rows and columns exchanged (cost :math:`C^\\top`)."""
        return dataclasses.replace(
            self, x=self.y, y=self.x, xx=self.yy, yy=self.xx, matrix=self.matrix_t,
            matrix_t=self.matrix,
        )  # fmt: skip

    def within_x(self) -> PointCloud:
        """The cloud :math:`(x, x)`, same shift and policy."""
        return _build(self.x, self.x, self.xx, self.xx, self.shift, self.cost, self)

    def within_y(self) -> PointCloud:
        """The cloud :math:`(y, y)`, same shift and policy."""
        return _build(self.y, self.y, self.yy, self.yy, self.shift, self.cost, self)

    def pooled(self) -> PointCloud:
        """The cloud :math:`(z, z)` of the pooled points :math:`z = (x, y)`, same shift."""
        z = jnp.concatenate([self.x, self.y], axis=0)
        zz = jnp.concatenate([self.xx, self.yy], axis=0)
        return _build(z, z, zz, zz, self.shift, self.cost, self)

    def rescaled(self, scale) -> PointCloud:
        """The cloud of points :math:`x / s`, :math:`y / s` (``s`` a power of two: exact)."""
        x, y = self.x / scale, self.y / scale
        xx, yy = jnp.sum(x * x, -1), jnp.sum(y * y, -1)
        return _build(x, y, xx, yy, self.shift, self.cost, self)

    # ------------------------------------------------------------------- matrix and sums
    def cost_matrix(self) -> jax.Array:
        """The ``[n, m]`` cost matrix (materialised: memory :math:`O(nm)`)."""
        if self.matrix is not None:
            return self.matrix
        return self.cost.pairwise(self.x, self.y, self.xx, self.yy)

    def mean_cost(self, a, b) -> jax.Array:
        r""":math:`\sum_{ij}\bar a_i\bar b_j C_{ij}` (weights normalised): in linear time where
        the cost has a ``mean``, else one pass over all pairs."""
        if hasattr(self.cost, "mean"):
            return self.cost.mean(self.x, self.y, a, b)
        return jnp.sum(a * self.apply(b)) / (jnp.sum(a) * jnp.sum(b))

    def cost_bound(self) -> jax.Array:
        r"""An upper bound of :math:`\max_{ij} C_{ij}` (not differentiated): in linear time where
        the cost has a ``bound``, else the maximum itself by one pass over all pairs."""
        if hasattr(self.cost, "bound"):
            return self.cost.bound(self.xx, self.yy)
        return lax.stop_gradient(jnp.max(self._row_map(lambda c: jnp.max(c, axis=1))))

    def apply(self, v) -> jax.Array:
        r"""``[n]`` products :math:`\sum_j C_{ij} v_j` (the kernel's, for a :class:`KernelCost`);
        a kept matrix is read, not recomputed."""
        if self.matrix is not None:
            return matmul(self.matrix, v)
        return pairwise_sum(
            _apply_block, self.cost, (self.x, self.xx), (self.y, self.yy, v), **self._engine()
        )

    def apply_matrix(self, v) -> jax.Array:
        r"""``[n, k]`` products :math:`C V` for ``V`` of shape ``[m, k]``. The squared Euclidean
        cost is never formed: :math:`C V = \|x\|^2 (\mathbf 1^\top V) + \mathbf 1 (\|y\|^{2\top}
        V) - 2 x (y^\top V)`, :math:`O((n + m) d k)`; other costs use a kept matrix or form
        :math:`C` once."""
        if self.matrix is None and isinstance(self.cost, SquaredEuclidean):
            xv = self.xx[:, None] * jnp.sum(v, axis=0) + matmul(self.yy, v)[None, :]
            return xv - 2 * matmul(self.x, matmul(self.y.T, v))
        return matmul(self.cost_matrix(), v)

    def row_sum(self, fn: Callable, params=(), x_features=(), y_features=()) -> jax.Array:
        r"""Row sums :math:`s_i = \sum_j M_{ij}` of a function of the cost block.

        ``fn(params, C_block, (x_b, *x_features_b), (y_b, *y_features_b))`` returns the
        ``[bx, by, ...]`` block of :math:`M`; ``fn`` must be a module-level function (it keys the
        tiled path's custom VJP). ``params`` are differentiable.
        """
        xs = (self.x, self.xx, *x_features)
        ys = (self.y, self.yy, *y_features)
        return pairwise_sum(_FnBlock(fn), (self.cost, params), xs, ys, **self._engine())

    # ------------------------------------------------------------------- entropic transport
    def row_logsumexp(self, g, eps) -> jax.Array:
        r"""``[n]`` :math:`\log\sum_j e^{(g_j - C_{ij})/\varepsilon}`."""
        if self.materialised:
            return jax.nn.logsumexp((g[None, :] - self.cost_matrix()) * (1 / eps), axis=1)
        return pairwise_logsumexp(
            _lse_block, (self.cost, 1 / eps), (self.x, self.xx), (self.y, self.yy, g),
            **self._engine(),
        )  # fmt: skip

    def col_logsumexp(self, f, eps) -> jax.Array:
        r"""``[m]`` :math:`\log\sum_i e^{(f_i - C_{ij})/\varepsilon}`."""
        return self.transpose().row_logsumexp(f, eps)

    def row_gibbs_sum(self, f, g, log_w, eps) -> jax.Array:
        r"""``[n]`` :math:`\sum_j e^{(f_i + g_j - C_{ij})/\varepsilon + \log w_j}`."""
        if self.materialised:
            z = (f[:, None] + g[None, :] - self.cost_matrix()) * (1 / eps) + log_w[None, :]
            return jnp.sum(jnp.exp(z), axis=1)
        xs, ys = (self.x, self.xx, f), (self.y, self.yy, g, log_w)
        return pairwise_sum(_gibbs_block, (self.cost, 1 / eps), xs, ys, **self._engine())

    def col_gibbs_sum(self, g, f, log_w, eps) -> jax.Array:
        r"""``[m]`` :math:`\sum_i e^{(f_i + g_j - C_{ij})/\varepsilon + \log w_i}`."""
        return self.transpose().row_gibbs_sum(g, f, log_w, eps)

    def transport_sums(self, f, g, la, lb, eps):
        r"""Marginals and cost of :math:`P_{ij} = e^{(f_i + g_j - C_{ij})/\varepsilon + \log a_i
        + \log b_j}`: ``(P 1, P^T 1, <P, C>, P or None)`` (``P`` only on the materialised path)."""
        if self.materialised:
            c = self.cost_matrix()
            p = jnp.exp((f[:, None] + g[None, :] - c) / eps + la[:, None] + lb[None, :])
            return jnp.sum(p, 1), jnp.sum(p, 0), jnp.sum(p * c), p
        kw = self._engine()
        params = (self.cost, 1 / eps)
        xs, ys = (self.x, self.xx, f, la), (self.y, self.yy, g, lb)
        rows = pairwise_sum(_plan_block, params, xs, ys, **kw)
        cols = pairwise_sum(_plan_block, params, ys, xs, **kw)
        return rows[:, 0], cols[:, 0], jnp.sum(rows[:, 1]), None

    def transport_plan(self, f, g, la, lb, eps) -> jax.Array:
        """The ``[n, m]`` plan of :meth:`transport_sums` (materialised whatever the policy)."""
        c = self.cost_matrix()
        return jnp.exp((f[:, None] + g[None, :] - c) / eps + la[:, None] + lb[None, :])

    # ------------------------------------------------------------------------- k-NN
    def _row_map(self, fn, *col_args):
        """``fn(C_block, *col_args)`` over row blocks of :data:`ROW_BLOCK` (memory O(b m))."""
        if self.matrix is not None:
            return fn(self.matrix, *col_args)
        n = self.x.shape[0]
        block = min(ROW_BLOCK, n)
        nb = -(-n // block)
        pad = nb * block - n

        def padded(v):
            v = jnp.concatenate([v, jnp.repeat(v[-1:], pad, 0)], 0) if pad else v
            return v.reshape((nb, block) + v.shape[1:])

        def one(rows):
            xb, xxb = rows
            return fn(self.cost.pairwise(xb, self.y, xxb, self.yy), *col_args)

        out = lax.map(one, (padded(self.x), padded(self.xx)))
        return jax.tree_util.tree_map(lambda v: v.reshape((nb * block,) + v.shape[2:])[:n], out)

    def row_min(self) -> tuple[jax.Array, jax.Array]:
        r"""``([n] min_j C_ij, [n] argmin_j C_ij)``."""
        return self._row_map(lambda c: (jnp.min(c, axis=1), jnp.argmin(c, axis=1)))

    def row_smallest(self, k: int) -> jax.Array:
        r"""``[n, k]`` the ``k`` smallest :math:`C_{ij}` of each row, ascending."""
        return self._row_map(lambda c: -lax.top_k(-c, k)[0])

    def row_count_within(self, radii) -> jax.Array:
        r"""``[n]`` counts :math:`\#\{j: C_{ij} \le r_j\}` (points in the balls of the columns)."""
        return self._row_map(lambda c, r: jnp.sum(c <= r[None, :], axis=1), radii)


def _build(x, y, xx, yy, shift, cost, like: PointCloud | None = None, **policy) -> PointCloud:
    if like is not None:
        policy = dict(materialize=like.materialize, block_size=like.block_size, reuse=like.reuse)
    cloud = PointCloud(x, y, xx, yy, shift, cost, **policy)
    if cloud.reuse and cloud.materialised:
        matrix = cloud.cost_matrix()
        cloud = dataclasses.replace(cloud, matrix=matrix, matrix_t=matrix.T)
    return cloud


def point_cloud(
    x,
    y=None,
    *,
    cost=None,
    centre: bool = True,
    materialize: bool | None = None,
    block_size: int | None = None,
    reuse: bool = False,
) -> PointCloud:
    """The :class:`PointCloud` of ``x`` (``[n, d]``) against ``y`` (``[m, d]``; default ``x``).

    Args:
      x, y: points (already validated, one float dtype).
      cost: a cost record (default :class:`SquaredEuclidean`); a cost with ``embed`` is built
        as the squared Euclidean cost of the embedded points.
      centre: subtract the one :func:`centring_shift` (only for a translation-invariant cost
        computed by the matmul form).
      materialize: force or forbid the materialised path (default: :func:`materialises`).
      block_size: tile edge of the tiled path (default: the cost's).
      reuse: the cloud is reduced many times (an iterative solver): a materialised cloud keeps
        its matrix and its transpose.
    """
    cost = SquaredEuclidean() if cost is None else cost
    same = y is None
    if hasattr(cost, "embed"):
        # a squared Euclidean cost between embedded points (Mahalanobis, cosine)
        x = cost.embed(x)
        y = None if same else cost.embed(y)
        cost = SquaredEuclidean()
    # Centre only where it helps: the matmul form (one element per pair) cancels relative to the
    # spread of the clouds after the shift; direct coordinate differences are exact without it,
    # and a shift would only add its rounding to them.
    if centre and cost.translation_invariant and cost.pair_elements(x.shape[-1]) == 1:
        shift = centring_shift(x, y)
    else:
        shift = jnp.zeros(x.shape[-1:], x.dtype)
    x = x - shift
    xx = jnp.sum(x * x, -1)
    if same:
        y, yy = x, xx
    else:
        y = y - shift
        yy = jnp.sum(y * y, -1)
    return _build(
        x, y, xx, yy, shift, cost, materialize=materialize, block_size=block_size, reuse=reuse
    )
