r"""Exact optimal transport between equal-size uniform clouds: the assignment problem."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gmath._jit import cached
from gmath._numerics._costs import CostMatrix
from gmath._pytree import register_record
from gmath.divergences._samples import as_arrays, check_points, is_concrete
from gmath.divergences._sinkhorn import _geometry, _resolve_cost

__all__ = ["ExactTransportResult", "exact_transport"]


@register_record
@dataclasses.dataclass(frozen=True)
class ExactTransportResult:
    r"""What :func:`exact_transport` returns (a pytree record).

    Attributes:
      cost: the optimal transport cost :math:`\min_P \langle C, P\rangle` (scalar),
        differentiable by the envelope theorem (the optimal plan held fixed).
      assignment: ``[n]`` integer indices :math:`\sigma`: row point :math:`i` is sent to column
        point :math:`\sigma(i)` (a permutation).
      plan: the ``[n, n]`` optimal plan :math:`P_{i\sigma(i)} = 1/n`.
      potentials: ``(f, g)``, dual potentials of shapes ``[n]`` and ``[n]`` in cost units with
        :math:`f_i + g_j \le C_{ij}` (dual feasibility) and equality on the assignment
        (complementary slackness); ``cost`` equals the dual value
        :math:`\tfrac1n(\sum_i f_i + \sum_j g_j)`.
      dual_infeasibility: :math:`\max(0, \max_{ij}(f_i + g_j - C_{ij}))`, zero up to rounding.
      duality_gap: primal minus dual value, zero up to rounding.
      optimal: the certificate: both of the above within the rounding of the costs
        (:math:`4 n u \max|C|`, :math:`u` the unit roundoff).
    """

    cost: Any
    assignment: Any
    plan: Any
    potentials: Any
    dual_infeasibility: Any
    duality_gap: Any
    optimal: Any


@jax.custom_batching.custom_vmap
def _assign(c):
    """:func:`_hungarian`, batched on CPU as a loop over the problems (see :func:`_assign_vmap`)."""
    return _hungarian(c)


@_assign.def_vmap
def _assign_vmap(axis_size, in_batched, c):
    # Each search step is a handful of length-n vector operations: on a CPU the loop's
    # per-iteration overhead dominates, and a batched while_loop (run to the longest search of
    # the batch, with batched gathers and scatters) took 2.7x as long per problem as one problem
    # at a time (256 x 256, 2-core CPU). Accelerators keep the batched loop.
    del axis_size
    (batched,) = in_batched
    if not batched:
        return _assign(c), (False, False, False)
    if jax.default_backend() == "cpu":
        out = lax.map(_assign, c)
    else:
        out = jax.vmap(_hungarian)(c)
    return out, (True, True, True)


def _hungarian(c):
    r"""``(assignment [n], f [n], g [n])`` of the assignment problem with cost matrix ``c``.

    The shortest-augmenting-path form of the Hungarian method (Kuhn 1955; Jonker and Volgenant
    1987). The potentials start dual feasible from the column and then row reductions,
    :math:`g_j = \min_i C_{ij}`, :math:`f_i = \min_j (C_{ij} - g_j)`. Rows are then added one at
    a time: a dense Dijkstra search over the reduced costs :math:`C_{ij} - f_i - g_j \ge 0`,
    from the new row through the columns already assigned, finds the cheapest augmenting path to
    a free column (labels held as absolute distances, so the potentials are updated once per row,
    after the search: :math:`g_j \mathrel{-}= D - d_j`, :math:`f_{r(j)} \mathrel{+}= D - d_j`
    for the columns :math:`j` reached at distance :math:`d_j`, :math:`D` the path's length),
    which keeps dual feasibility and complementary slackness. :math:`O(n^3)` work in
    :math:`O(n^2)` vector steps of length ``n``. Index 0 of the padded column arrays is the
    search's sentinel (the new row's own slot); rows are 1-based in ``owner``.
    """
    n = c.shape[0]
    dtype = c.dtype
    inf = jnp.asarray(jnp.inf, dtype)
    g0 = jnp.min(c, axis=0)
    f0 = jnp.min(c - g0[None, :], axis=1)
    cp = jnp.pad(c, ((1, 0), (1, 0)))

    def add_row(i, state):
        f, g, owner = state  # owner[j]: the row holding column j (0: free)
        owner = owner.at[0].set(i)

        def searching(s):
            return s[3][s[4]] != 0

        def search(s):
            dist, reached, used, owner, j0, big_d, way = s
            used = used.at[j0].set(True)
            reached = reached.at[j0].set(big_d)
            i0 = owner[j0]
            label = big_d + (cp[i0] - f[i0] - g)
            better = ~used & (label < dist)
            dist = jnp.where(better, label, dist)
            way = jnp.where(better, j0, way)
            open_dist = jnp.where(used, inf, dist)
            j1 = jnp.argmin(open_dist).astype(jnp.int32)
            return dist, reached, used, owner, j1, open_dist[j1], way

        s = (
            jnp.full(n + 1, inf),
            jnp.zeros(n + 1, dtype),
            jnp.zeros(n + 1, bool),
            owner,
            jnp.asarray(0, jnp.int32),
            jnp.asarray(0, dtype),
            jnp.zeros(n + 1, jnp.int32),
        )
        _, reached, used, owner, j0, big_d, way = lax.while_loop(searching, search, s)
        shift = jnp.where(used, big_d - reached, 0)
        f = f.at[owner].add(shift)  # owner[j] are distinct rows for the reached columns
        g = g - shift

        def augment(s):
            owner, j0 = s
            j1 = way[j0]
            return owner.at[j0].set(owner[j1]), j1

        owner, _ = lax.while_loop(lambda s: s[1] != 0, augment, (owner, j0))
        return f, g, owner

    zero = jnp.zeros(1, dtype)
    state = (jnp.concatenate([zero, f0]), jnp.concatenate([zero, g0]), jnp.zeros(n + 1, jnp.int32))
    f, g, owner = lax.fori_loop(1, n + 1, add_row, state)
    # owner[j] = i (1-based): row i - 1 goes to column j - 1
    assignment = jnp.zeros(n, jnp.int32).at[owner[1:] - 1].set(jnp.arange(n, dtype=jnp.int32))
    return assignment, f[1:], g[1:]


def _exact(owner, x, y, *, cost=None) -> ExactTransportResult:
    x, y = check_points(x, y, owner)
    geom = _geometry(x, y, cost, True, None)  # a given matrix keeps its dtype (no weights)
    c = geom.cost_matrix()
    n = c.shape[0]
    assignment, f, g = _assign(lax.stop_gradient(c))
    rows = jnp.arange(n)
    value = jnp.mean(c[rows, assignment])  # envelope theorem: the plan held fixed
    plan = jnp.zeros_like(c).at[rows, assignment].set(1.0 / n)
    cs = lax.stop_gradient(c)
    infeasibility = jnp.maximum(jnp.max(f[:, None] + g[None, :] - cs), 0)
    gap = jnp.mean(cs[rows, assignment]) - (jnp.sum(f) + jnp.sum(g)) / n
    scale = jnp.max(jnp.abs(cs))
    tol = 4 * n * jnp.finfo(c.dtype).eps * jnp.where(scale > 0, scale, 1)
    optimal = (infeasibility <= tol) & (jnp.abs(gap) <= tol)
    return ExactTransportResult(value, assignment, plan, (f, g), infeasibility, gap, optimal)


_exact_jit = cached(_exact, static_argnums=(0,))


def exact_transport(x, y, *, a=None, b=None, cost=None) -> ExactTransportResult:
    r"""Exact optimal transport between two clouds of ``n`` points with uniform weights.

    Solves the linear program (Kantorovich) for the ground cost :math:`C_{ij} = c(x_i, y_j)`,

    .. math::
        \mathrm{OT}(a, b) = \min_{P \ge 0,\ P\mathbf 1 = a,\ P^\top\mathbf 1 = b}
        \langle C, P\rangle, \qquad a = b = \tfrac1n\mathbf 1,

    whose optimum is attained at a permutation matrix (Birkhoff–von Neumann), by the
    shortest-augmenting-path Hungarian method (Kuhn 1955; Jonker and Volgenant 1987) in
    :math:`O(n^3)`. Returns the optimal assignment as indices, the plan, the cost, and the dual
    potentials with a certificate of optimality (dual feasibility and complementary slackness,
    checked on the returned numbers). It runs under ``jit`` and ``vmap`` (a batch of minibatch
    problems is one call) and is compiled once per shape eagerly.

    Gradients of ``cost`` with respect to the points (or the cost matrix) follow the envelope
    theorem: the optimal plan is held fixed, :math:`\nabla \mathrm{OT} = \tfrac1n\sum_i
    \nabla c(x_i, y_{\sigma(i)})` (a subgradient where the optimal plan is not unique).

    Unequal weights or sizes (the general transportation problem) are not supported yet and
    raise ``NotImplementedError``.

    Args:
      x: ``[n, d]`` points (a 1-D array is ``n`` points on the line); ``None`` with a cost
        matrix.
      y: ``[n, d]`` points; ``None`` with a cost matrix.
      a: must be ``None`` (uniform weights).
      b: must be ``None`` (uniform weights).
      cost: the ground cost, as for :func:`~gmath.divergences.sinkhorn`: ``None`` (squared
        Euclidean), a name, a record of :mod:`gmath.divergences.costs`, a function of one pair,
        or an ``[n, n]`` cost matrix (with ``x = y = None``). Costs must be finite.

    Returns:
      An :class:`ExactTransportResult`.

    References:
      Kuhn (1955). The Hungarian method for the assignment problem [@kuhn1955hungarian].
      Jonker and Volgenant (1987). A shortest augmenting path algorithm for dense and sparse
      linear assignment problems [@jonker1987shortest]. Peyré and Cuturi (2019). Computational
      optimal transport, Chapter 3 [@peyre2019computational].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import exact_transport
      >>> x = jnp.array([[0.0], [1.0], [2.0]])
      >>> out = exact_transport(x, x[::-1] + 0.5)
      >>> out.assignment.tolist(), round(float(out.cost), 6), bool(out.optimal)
      ([2, 1, 0], 0.25, True)
    """
    owner = "exact_transport"
    if a is not None or b is not None:
        raise NotImplementedError(
            f"{owner}: weights are not supported yet (uniform weights only: the assignment "
            "problem); use sinkhorn with a small epsilon for weighted clouds."
        )
    x, y, cost = _resolve_cost(owner, x, y, cost)
    x, y = as_arrays(x, y)
    xp, yp = check_points(x, y, owner)
    n, m = xp.shape[0], yp.shape[0]
    if n != m:
        raise NotImplementedError(
            f"{owner}: clouds of different sizes ({n} and {m}) are not supported yet (the "
            "assignment problem needs equal sizes); use sinkhorn with a small epsilon."
        )
    if isinstance(cost, CostMatrix) and is_concrete(cost.matrix):
        if not np.all(np.isfinite(np.asarray(cost.matrix))):
            raise ValueError(f"{owner}: cost must be a finite matrix (got inf entries).")
    return _exact_jit(owner, x, y, cost=cost)
