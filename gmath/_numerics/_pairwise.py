r"""The one tiled pairwise-reduction engine: sums and logsumexps over all pairs of two point sets.

Sinkhorn, MMD, energy distance and KSD all reduce a function of *pairs* of points,

.. math::
    s_i = \sum_{j=1}^m M(x_i, y_j) \qquad\text{or}\qquad
    \ell_i = \log\sum_{j=1}^m \exp M(x_i, y_j),

where ``M`` is given *blockwise*: ``block_fn(params, xs_block, ys_block)`` returns the
``[bx, by]`` (or ``[bx, by, p]`` for sums) matrix of values for a block of rows and a block of
columns. ``xs`` and ``ys`` are pytrees of per-point features (points, potentials, scores, weights)
whose leaves share the leading dimension ``n`` (resp. ``m``).

Two execution paths, chosen by the caller (the library's policy is
:func:`gmath._numerics._geometry.materialises`; without a choice, by size alone):

- **materialised**: for ``n m`` at most :data:`MATERIALIZE_MAX_ELEMENTS`, one call of
  ``block_fn`` on the whole problem; ordinary autodiff.
- **tiled**: rows and columns are padded to a multiple of ``block_size`` and reduced block by
  block (``lax.map`` over row blocks, ``lax.scan`` over column blocks, an online logsumexp). A
  custom VJP recomputes each block in the backward pass, so forward and backward passes use
  :math:`O((n + m)(d + p) + b^2)` memory, never :math:`O(nm)`.

Padded columns are masked out (``0`` for sums, ``-inf`` for logsumexps); padded rows are dropped.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp
from jax import lax

from gmath._numerics._precision import matmul
from gmath._numerics._safe import safe_sqrt

__all__ = [
    "BLOCK_SIZE",
    "DIRECT_DISTANCE_MAX_DIM",
    "MATERIALIZE_MAX_ELEMENTS",
    "distances",
    "pairwise_logsumexp",
    "pairwise_sum",
    "squared_distances",
]

#: Default tile edge of the tiled path.
BLOCK_SIZE = 1024
#: Largest ``n * m`` that takes the materialised path by default (32 MiB of float64).
MATERIALIZE_MAX_ELEMENTS = 1 << 22


def squared_distances(x, y, xx=None, yy=None):
    r"""Matrix of :math:`\|x_i - y_j\|^2` from :math:`\|x\|^2 + \|y\|^2 - 2 x\cdot y`.

    The inner products use ``precision=HIGHEST``; callers centre the data (subtract a common
    shift, see :func:`gmath._numerics._geometry.point_cloud`) beforehand so the cancellation is
    benign. Clamped at zero. The one place the library writes this formula.

    Args:
      x: ``[n, d]``.
      y: ``[m, d]``.
      xx: optional cached ``[n]`` squared norms of ``x``. yy: same for ``y``.

    Returns:
      ``[n, m]`` squared distances.
    """
    xx = jnp.sum(x * x, axis=-1) if xx is None else xx
    yy = jnp.sum(y * y, axis=-1) if yy is None else yy
    xy = matmul(x, y.T)
    return jnp.maximum(xx[:, None] + yy[None, :] - 2 * xy, 0)


#: Up to this dimension :func:`distances` subtracts coordinates directly.
DIRECT_DISTANCE_MAX_DIM = 16


def distances(x, y):
    r"""Matrix of Euclidean distances :math:`\|x_i - y_j\|` with a zero gradient at zero.

    For dimensions up to :data:`DIRECT_DISTANCE_MAX_DIM` the coordinates are subtracted directly
    (an ``[n, m, d]`` intermediate), so coincident points give exactly 0: the matmul form of
    :func:`squared_distances` leaves rounding noise of order :math:`\epsilon\|x\|^2` whose square
    root (:math:`\sqrt\epsilon \|x\|`) would dominate. Larger dimensions use the matmul form.

    Args:
      x: ``[n, d]``. y: ``[m, d]``.

    Returns:
      ``[n, m]``.
    """
    if x.shape[-1] <= DIRECT_DISTANCE_MAX_DIM:
        sq = jnp.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    else:
        sq = squared_distances(x, y)
    return safe_sqrt(sq)


def _leading(tree) -> int:
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError("pairwise reduction: point features must contain at least one array.")
    sizes = {jnp.shape(v)[0] if jnp.ndim(v) else None for v in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            "pairwise reduction: every feature needs the same leading dimension, got "
            f"{[jnp.shape(v) for v in leaves]}."
        )
    return cast(int, sizes.pop())  # None was ruled out above


def _use_materialised(n: int, m: int, materialize: bool | None) -> bool:
    if materialize is None:
        return n * m <= MATERIALIZE_MAX_ELEMENTS
    return bool(materialize)


def _pad_blocks(tree, size: int, block: int):
    """Pad leading dim to a multiple of ``block`` (repeating the last point) and split blocks."""
    nb = -(-size // block)
    pad = nb * block - size

    def one(v):
        v = jnp.asarray(v)
        if pad:
            v = jnp.concatenate([v, jnp.repeat(v[-1:], pad, axis=0)], axis=0)
        return v.reshape((nb, block) + v.shape[1:])

    return jax.tree_util.tree_map(one, tree), nb


def _mask(size: int, nb: int, block: int):
    return (jnp.arange(nb * block) < size).reshape(nb, block)


def _unblock(v, size: int):
    return v.reshape((-1,) + v.shape[2:])[:size]


def _expand(mask_row, value):
    """Broadcast a ``[by]`` column mask against a ``[bx, by, ...]`` value."""
    return mask_row.reshape((1, -1) + (1,) * (value.ndim - 2))


# --------------------------------------------------------------------------------------- sums
def pairwise_sum(
    block_fn: Callable,
    params: Any,
    xs: Any,
    ys: Any,
    *,
    block_size: int | None = None,
    materialize: bool | None = None,
):
    r"""Row sums :math:`s_i = \sum_j M(x_i, y_j)` of a blockwise-defined pair function.

    Args:
      block_fn: ``(params, xs_block, ys_block) -> [bx, by, *tail]``; must be hashable (a module-level
        function or a ``functools.partial`` of one is best: it keys the compilation cache).
      params: pytree of arrays shared by every pair (kernel bandwidths, epsilon); differentiable.
      xs: pytree of ``[n, ...]`` row features. ys: pytree of ``[m, ...]`` column features.
      block_size: tile edge for the tiled path (default :data:`BLOCK_SIZE`).
      materialize: force (``True``) or forbid (``False``) the materialised path; default by size.

    Returns:
      ``[n, *tail]`` row sums.
    """
    n, m = _leading(xs), _leading(ys)
    if _use_materialised(n, m, materialize):
        return jnp.sum(block_fn(params, xs, ys), axis=1)
    block = int(block_size or BLOCK_SIZE)
    return _tiled_sum(block_fn, block, n, m, params, xs, ys)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3))
def _tiled_sum(block_fn, block, n, m, params, xs, ys):
    return _tiled_sum_fwd_impl(block_fn, block, n, m, params, xs, ys)


def _tiled_sum_fwd_impl(block_fn, block, n, m, params, xs, ys):
    bx, nbx = _pad_blocks(xs, n, min(block, n))
    by, nby = _pad_blocks(ys, m, min(block, m))
    mask = _mask(m, nby, min(block, m))

    def row_block(xb):
        def body(acc, inputs):
            yb, mk = inputs
            val = block_fn(params, xb, yb)
            val = jnp.where(_expand(mk, val), val, 0)
            return acc + jnp.sum(val, axis=1), None

        first = jax.eval_shape(lambda: jnp.sum(block_fn(params, xb, _first(by)), axis=1))
        acc0 = jnp.zeros(first.shape, first.dtype)
        acc, _ = lax.scan(body, acc0, (by, mask))
        return acc

    out = lax.map(row_block, bx)
    return _unblock(out, n)


def _first(tree):
    return jax.tree_util.tree_map(lambda v: v[0], tree)


def _tiled_sum_fwd(block_fn, block, n, m, params, xs, ys):
    out = _tiled_sum_fwd_impl(block_fn, block, n, m, params, xs, ys)
    return out, (params, xs, ys)


def _tiled_sum_bwd(block_fn, block, n, m, res, ct):
    params, xs, ys = res
    # d/dtheta sum_i <ct_i, s_i> = sum_ij <ct_i, dM_ij>: the cotangent of block (I, J) is ct_I
    # broadcast over columns, masked.
    return _blocked_vjp(block_fn, block, n, m, params, xs, ys, ct, weight_fn=None)


_tiled_sum.defvjp(_tiled_sum_fwd, _tiled_sum_bwd)


def _blocked_vjp(block_fn, block, n, m, params, xs, ys, ct, weight_fn):
    """Accumulate the VJP of all blocks; ``weight_fn(val, ct_b, extra_b)`` gives block cotangents."""
    bsx, bsy = min(block, n), min(block, m)
    bx, nbx = _pad_blocks(xs, n, bsx)
    by, nby = _pad_blocks(ys, m, bsy)
    ctb, _ = _pad_blocks(ct, n, bsx)
    xmask = _mask(n, nbx, bsx)
    ymask = _mask(m, nby, bsy)

    zeros = lambda t: jax.tree_util.tree_map(jnp.zeros_like, t)
    add = lambda a, b: jax.tree_util.tree_map(jnp.add, a, b)

    def row_body(carry, inputs):
        g_params, g_ys = carry
        xb, ct_b, xm = inputs
        ct_b = jax.tree_util.tree_map(
            lambda c: jnp.where(xm.reshape((-1,) + (1,) * (c.ndim - 1)), c, 0), ct_b
        )

        def col_body(inner, col_inputs):
            g_p, g_xb = inner
            yb, ym = col_inputs
            val, vjp = jax.vjp(block_fn, params, xb, yb)
            if weight_fn is None:
                w = jnp.broadcast_to(jnp.expand_dims(ct_b, 1), val.shape)
            else:
                w = weight_fn(val, ct_b)
            w = jnp.where(_expand(ym, w), w, 0)
            dp, dx, dy = vjp(w.astype(val.dtype))
            return (add(g_p, dp), add(g_xb, dx)), dy

        (g_params, g_xb), g_yb = lax.scan(col_body, (g_params, zeros(xb)), (by, ymask))
        return (g_params, add(g_ys, g_yb)), g_xb

    (g_params, g_ys), g_xs = lax.scan(row_body, (zeros(params), zeros(by)), (bx, ctb, xmask))
    g_xs = jax.tree_util.tree_map(lambda v: _unblock(v, n), g_xs)
    g_ys = jax.tree_util.tree_map(lambda v: _unblock(v, m), g_ys)
    return g_params, g_xs, g_ys


# --------------------------------------------------------------------------------- logsumexp
def pairwise_logsumexp(
    block_fn: Callable,
    params: Any,
    xs: Any,
    ys: Any,
    *,
    block_size: int | None = None,
    materialize: bool | None = None,
):
    r"""Row logsumexps :math:`\ell_i = \log\sum_j \exp M(x_i, y_j)` of a blockwise pair function.

    Arguments as in :func:`pairwise_sum`, with ``block_fn`` returning ``[bx, by]`` log-terms
    (``-inf`` allowed). The tiled path keeps a running maximum and a rescaled running sum (one
    pass over each block); its custom VJP weights each recomputed block by
    :math:`\exp(M_{ij} - \ell_i)`.

    Returns:
      ``[n]`` row logsumexps (``-inf`` for a row with no finite term).
    """
    n, m = _leading(xs), _leading(ys)
    if _use_materialised(n, m, materialize):
        return jax.nn.logsumexp(block_fn(params, xs, ys), axis=1)
    block = int(block_size or BLOCK_SIZE)
    return _tiled_lse(block_fn, block, n, m, params, xs, ys)


def _combine(mx, s, bmax, bsum):
    new = jnp.maximum(mx, bmax)
    safe = jnp.where(jnp.isfinite(new), new, 0)
    return new, s * jnp.exp(mx - safe) + bsum * jnp.exp(bmax - safe)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3))
def _tiled_lse(block_fn, block, n, m, params, xs, ys):
    return _tiled_lse_impl(block_fn, block, n, m, params, xs, ys)


def _tiled_lse_impl(block_fn, block, n, m, params, xs, ys):
    bx, _ = _pad_blocks(xs, n, min(block, n))
    by, nby = _pad_blocks(ys, m, min(block, m))
    mask = _mask(m, nby, min(block, m))

    def row_block(xb):
        def body(carry, inputs):
            mx, s = carry
            yb, mk = inputs
            val = block_fn(params, xb, yb)
            val = jnp.where(mk[None, :], val, -jnp.inf)
            bmax = jnp.max(val, axis=1)
            safe = jnp.where(jnp.isfinite(bmax), bmax, 0)
            bsum = jnp.sum(jnp.exp(val - safe[:, None]), axis=1)
            return _combine(mx, s, bmax, bsum), None

        shape = jax.eval_shape(lambda: block_fn(params, xb, _first(by)))
        mx0 = jnp.full(shape.shape[:1], -jnp.inf, shape.dtype)
        (mx, s), _ = lax.scan(body, (mx0, jnp.zeros_like(mx0)), (by, mask))
        safe = jnp.where(jnp.isfinite(mx), mx, 0)
        return jnp.where(jnp.isfinite(mx), jnp.log(s) + safe, mx)

    out = lax.map(row_block, bx)
    return _unblock(out, n)


def _tiled_lse_fwd(block_fn, block, n, m, params, xs, ys):
    out = _tiled_lse_impl(block_fn, block, n, m, params, xs, ys)
    return out, (params, xs, ys, out)


def _tiled_lse_bwd(block_fn, block, n, m, res, ct):
    params, xs, ys, out = res

    # Carry each row's output with its features so a block sees its own ell_i; the block
    # cotangent is ct_i exp(M_ij - ell_i).
    def fn(p, xo, yb):
        return block_fn(p, xo[0], yb)

    def weight_fn(val, ct_and_out):
        c, o = ct_and_out
        o = jnp.where(jnp.isfinite(o), o, 0)
        return c[:, None] * jnp.exp(val - o[:, None])

    g_params, (g_xs, _), g_ys = _blocked_vjp(
        fn, block, n, m, params, (xs, out), ys, (ct, out), weight_fn=weight_fn
    )
    return g_params, g_xs, g_ys


_tiled_lse.defvjp(_tiled_lse_fwd, _tiled_lse_bwd)


def num_blocks(size: int, block: int | None = None) -> int:
    """Number of tiles along an axis of ``size`` points."""
    return math.ceil(size / int(block or BLOCK_SIZE))
