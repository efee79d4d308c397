r"""Exact optimal transport between equal-size uniform clouds: the assignment problem."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import promote
from gmath._numerics._costs import CostMatrix
from gmath._pytree import register_record
from gmath.divergences._samples import (
    as_arrays,
    check_points,
    check_weights,
    is_concrete,
)
from gmath.divergences._sinkhorn import _check_equal_mass, _geometry, _resolve_cost

__all__ = ["ExactTransportResult", "exact_transport"]


@register_record
@dataclasses.dataclass(frozen=True)
class ExactTransportResult:
    r"""What :func:`exact_transport` returns (a pytree record).

    Attributes:
      cost: the optimal transport cost :math:`\min_P \langle C, P\rangle` (scalar),
        differentiable by the envelope theorem (the optimal plan held fixed).
      assignment: ``[n]`` integer indices :math:`\sigma`: row point :math:`i` is sent to column
        point :math:`\sigma(i)` (a permutation); ``None`` for the general problem (weights or
        unequal sizes), whose optimal plan need not be a permutation.
      plan: the ``[n, m]`` optimal plan (:math:`P_{i\sigma(i)} = 1/n` for the assignment).
      potentials: ``(f, g)``, dual potentials of shapes ``[n]`` and ``[m]`` in cost units with
        :math:`f_i + g_j \le C_{ij}` (dual feasibility) and equality where the plan is positive
        (complementary slackness); ``cost`` equals the dual value
        :math:`\sum_i a_i f_i + \sum_j b_j g_j`.
      dual_infeasibility: :math:`\max(0, \max_{ij}(f_i + g_j - C_{ij}))`, zero up to rounding.
      duality_gap: primal minus dual value, zero up to rounding.
      optimal: the certificate: both of the above within the rounding of the costs
        (:math:`4 n u \max|C|` for the assignment, :math:`4 (n + m) u \max|C|` (times the mass
        for the gap) for the general problem; :math:`u` the unit roundoff).
    """

    cost: Any
    assignment: Any
    plan: Any
    potentials: Any
    dual_infeasibility: Any
    duality_gap: Any
    optimal: Any


def _looped_on_cpu(solver):
    """``solver`` (arrays in, a tuple of arrays out), batched under ``vmap`` on a CPU as a loop
    over the problems. Each search step of these solvers is a handful of length-n vector
    operations: on a CPU the loop's per-iteration overhead dominates, and a batched while_loop
    (run to the longest search of the batch, with batched gathers and scatters) took 2.7x as
    long per problem as one problem at a time (Hungarian, 256 x 256, 2-core CPU).
    Accelerators keep the batched loop."""

    @jax.custom_batching.custom_vmap
    def looped(*args):
        return solver(*args)

    @looped.def_vmap
    def _batched(axis_size, in_batched, *args):
        if not any(in_batched):
            out = looped(*args)
            return out, jax.tree_util.tree_map(lambda _: False, out)
        args = tuple(
            v if batched else jnp.broadcast_to(v, (axis_size,) + v.shape)
            for v, batched in zip(args, in_batched, strict=True)
        )
        if jax.default_backend() == "cpu":
            out = lax.map(lambda xs: looped(*xs), args)
        else:
            out = jax.vmap(solver)(*args)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return looped


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


def _transport(c, a, b):
    r"""``(plan [n, m], f [n], g [m])`` of the transportation problem with weights ``a``, ``b``.

    Successive shortest paths on the bipartite residual graph (Ford and Fulkerson; Edmonds and
    Karp 1972), with the potentials of the Hungarian method above: reduced costs
    :math:`C_{ij} - f_i - g_j \ge 0` on every edge and :math:`= 0` where the plan is positive.
    Each round runs a dense Dijkstra search from every row with mass left over the rows and
    columns (a row reaches every column; a column reaches back the rows that send it mass, at
    reduced cost zero), stops at the first column with room left, updates the potentials by the
    distances (dual feasibility and complementary slackness are kept), and pushes the largest
    amount the path allows: the source's mass, the sink's room or the smallest flow it cancels.
    A round empties a row, fills a column or cancels a flow; with real weights the rounds are
    about :math:`n + m` in practice. Masses below ``4 (n + m) u \sum a`` count as zero (the
    rounding of the subtractions).
    """
    n, m = c.shape
    dtype = c.dtype
    inf = jnp.asarray(jnp.inf, dtype)
    tiny = 4 * (n + m) * jnp.finfo(dtype).eps * jnp.sum(a)
    g0 = jnp.min(c, axis=0)
    f0 = jnp.min(c - g0[None, :], axis=1)

    def has_work(state):
        _, _, _, sa, sb, k = state
        return jnp.any(sa > tiny) & jnp.any(sb > tiny) & (k < 4 * (n + m) ** 2)

    def round_(state):
        plan, f, g, sa, sb, k = state
        source = sa > tiny
        # nodes 0..n-1 are rows, n..n+m-1 columns
        dist = jnp.concatenate([jnp.where(source, 0, inf), jnp.full(m, inf, dtype)])
        pred = jnp.full(n + m, -1, jnp.int32)  # a column's row; a row's column (-1: source)

        def searching(s):
            return ~s[3]

        def search(s):
            dist, done_, pred, _, _ = s
            open_ = jnp.where(done_, inf, dist)
            v = jnp.argmin(open_).astype(jnp.int32)
            dv = open_[v]
            done_ = done_.at[v].set(True)
            is_row = v < n
            i = jnp.minimum(v, n - 1)
            j = jnp.clip(v - n, 0, m - 1)
            found = ~is_row & (sb[j] > tiny)
            # a row reaches every column at its reduced cost
            col_label = jnp.where(is_row, dv + (c[i] - f[i] - g), inf)
            # a column that is not a sink reaches back the rows that send it mass
            row_label = jnp.where(~is_row & ~found & (plan[:, j] > 0), dv, inf)
            label = jnp.concatenate([row_label, col_label])
            better = ~done_ & (label < dist)
            dist = jnp.where(better, label, dist)
            who = jnp.concatenate([jnp.full(n, j, jnp.int32), jnp.full(m, i, jnp.int32)])
            pred = jnp.where(better, who, pred)
            stop = found | ~jnp.isfinite(dv)
            return dist, done_, pred, stop, v

        s = (dist, jnp.zeros(n + m, bool), pred, jnp.asarray(False), jnp.asarray(0, jnp.int32))
        dist, done_, pred, _, sink = lax.while_loop(searching, search, s)
        big_d = dist[sink]
        shift = jnp.where(done_ & (dist < big_d), big_d - dist, 0)
        f = f + shift[:n]
        g = g - shift[n:]

        # the path back from the sink: column -> row (forward edge) -> column (backward edge)...
        def walk(fn, init):
            def step(s):
                j, acc = s
                i = pred[n + j]
                acc = fn(acc, i, j, True)
                back = pred[i]
                acc = jax.lax.cond(back >= 0, lambda: fn(acc, i, back, False), lambda: acc)
                return jnp.where(back >= 0, back, -1), acc

            def going(s):
                return s[0] >= 0

            _, acc = lax.while_loop(going, step, (sink - n, init))
            return acc

        def source_of(acc, i, j, forward):
            del j
            return jnp.where(forward & (pred[i] < 0), i, acc)

        src = walk(source_of, jnp.asarray(0, jnp.int32))

        def bottleneck(acc, i, j, forward):
            return jnp.where(forward, acc, jnp.minimum(acc, plan[i, j]))

        delta = jnp.minimum(jnp.minimum(sa[src], sb[sink - n]), walk(bottleneck, inf))

        def push(acc, i, j, forward):
            return acc.at[i, j].add(jnp.where(forward, delta, -delta))

        plan = walk(push, plan)
        plan = jnp.maximum(plan, 0)  # a cancelled flow is exactly its own bottleneck
        sa = sa.at[src].add(-delta)
        sb = sb.at[sink - n].add(-delta)
        return plan, f, g, sa, sb, k + 1

    state = (jnp.zeros((n, m), dtype), f0, g0, a, b, jnp.asarray(0, jnp.int32))
    plan, f, g, _, _, _ = lax.while_loop(has_work, round_, state)
    return plan, f, g


_assign = _looped_on_cpu(_hungarian)
_general = _looped_on_cpu(_transport)


def _finite_costs(owner, c):
    """``(c with non-finite entries zeroed, whether all were finite)``: the solvers' loops run
    on a finite matrix (a NaN cost would never be settled: the search looped forever), and the
    caller marks the results NaN; in checks mode a non-finite cost raises."""
    ok = jnp.all(jnp.isfinite(c))
    error_if_not(ok, f"{owner}: the costs must be finite (NaN or infinite points or costs).")
    return jnp.where(jnp.isfinite(c), c, 0), ok


def _invalid(result: ExactTransportResult, ok) -> ExactTransportResult:
    """``result`` with every floating field NaN (and the assignment -1) where not ``ok``."""

    def mark(v):
        if v is None:
            return None
        if jnp.issubdtype(v.dtype, jnp.floating):
            return jnp.where(ok, v, jnp.nan)
        if jnp.issubdtype(v.dtype, jnp.integer):
            return jnp.where(ok, v, -1)
        return v & ok

    return jax.tree_util.tree_map(mark, result)


def _exact_general(owner, c, a, b):
    """The result of the transportation problem with weights (no assignment)."""
    n, m = c.shape
    cs, ok = _finite_costs(owner, lax.stop_gradient(c))
    plan, f, g = _general(cs, lax.stop_gradient(a), lax.stop_gradient(b))
    value = jnp.sum(plan * c)  # envelope theorem: the plan held fixed
    infeasibility = jnp.maximum(jnp.max(f[:, None] + g[None, :] - cs), 0)
    gap = jnp.sum(plan * cs) - (jnp.dot(a, f) + jnp.dot(b, g))
    scale = jnp.max(jnp.abs(cs))
    tol = 4 * (n + m) * jnp.finfo(c.dtype).eps * jnp.where(scale > 0, scale, 1)
    optimal = (infeasibility <= tol) & (jnp.abs(gap) <= tol * jnp.sum(a))
    result = ExactTransportResult(value, None, plan, (f, g), infeasibility, gap, optimal)
    return _invalid(result, ok)


def _exact(owner, x, y, a=None, b=None, *, cost=None) -> ExactTransportResult:
    x, y = check_points(x, y, owner)
    geom = _geometry(x, y, cost, True, None)  # a given matrix keeps its dtype
    c = geom.cost_matrix()
    if a is not None or b is not None or c.shape[0] != c.shape[1]:
        n, m = c.shape
        c, a, b = promote(c, a, b)
        a = check_weights(a, n, owner, "a", c.dtype, probability=False)
        b = check_weights(b, m, owner, "b", c.dtype, probability=False)
        a, b = _check_equal_mass(a, b, owner)
        return _exact_general(owner, c, a, b)
    n = c.shape[0]
    cs, ok = _finite_costs(owner, lax.stop_gradient(c))
    assignment, f, g = _assign(cs)
    rows = jnp.arange(n)
    value = jnp.mean(c[rows, assignment])  # envelope theorem: the plan held fixed
    plan = jnp.zeros_like(c).at[rows, assignment].set(1.0 / n)
    infeasibility = jnp.maximum(jnp.max(f[:, None] + g[None, :] - cs), 0)
    gap = jnp.mean(cs[rows, assignment]) - (jnp.sum(f) + jnp.sum(g)) / n
    scale = jnp.max(jnp.abs(cs))
    tol = 4 * n * jnp.finfo(c.dtype).eps * jnp.where(scale > 0, scale, 1)
    optimal = (infeasibility <= tol) & (jnp.abs(gap) <= tol)
    result = ExactTransportResult(value, assignment, plan, (f, g), infeasibility, gap, optimal)
    return _invalid(result, ok)


_exact_jit = cached(_exact, static_argnums=(0,))


def exact_transport(x, y, *, a=None, b=None, cost=None) -> ExactTransportResult:
    r"""Exact optimal transport between two weighted clouds: the Kantorovich linear program.

    Solves, for the ground cost :math:`C_{ij} = c(x_i, y_j)`,

    .. math::
        \mathrm{OT}(a, b) = \min_{P \ge 0,\ P\mathbf 1 = a,\ P^\top\mathbf 1 = b}
        \langle C, P\rangle .

    With uniform weights and equal sizes (the assignment problem, the minibatch case) the
    optimum is attained at a permutation matrix (Birkhoff–von Neumann) and is found by the
    shortest-augmenting-path Hungarian method (Kuhn 1955; Jonker and Volgenant 1987) in
    :math:`O(n^3)`, returning the assignment as indices. With weights or unequal sizes (the
    transportation problem) it is found by successive shortest paths with the same potentials
    (about :math:`n + m` Dijkstra searches of :math:`O((n + m)^2)` each). Either way it returns the
    plan, the cost, and dual potentials with a certificate of optimality (dual feasibility and
    complementary slackness, checked on the returned numbers). It runs under ``jit`` and
    ``vmap`` (a batch of minibatch problems is one call) and is compiled once per shape
    eagerly.

    Gradients of ``cost`` with respect to the points (or the cost matrix) follow the envelope
    theorem: the optimal plan is held fixed, :math:`\nabla \mathrm{OT} = \sum_{ij} P_{ij}
    \nabla c(x_i, y_j)` (a subgradient where the optimal plan is not unique). Gradients with
    respect to the weights are not defined through this function (the weights enter the plan
    only).

    Args:
      x: ``[n, d]`` points (a 1-D array is ``n`` points on the line); ``None`` with a cost
        matrix.
      y: ``[m, d]`` points; ``None`` with a cost matrix.
      a: ``[n]`` nonnegative weights (default uniform :math:`1/n`).
      b: ``[m]`` nonnegative weights (default uniform :math:`1/m`), of the same total mass as
        ``a`` (balanced transport; unequal masses raise ``ValueError``).
      cost: the ground cost, as for :func:`~gmath.divergences.sinkhorn`: ``None`` (squared
        Euclidean), a name, a record of :mod:`gmath.divergences.costs`, a function of one pair,
        or an ``[n, m]`` cost matrix (with ``x = y = None``). Costs must be finite: a given
        matrix with NaN or infinite entries raises ``ValueError``; NaN or infinite points give
        NaN results and an assignment of -1 (an ``InvalidParameterError`` in checks mode).

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
    x, y, cost = _resolve_cost(owner, x, y, cost)
    x, y, a, b = as_arrays(x, y, a, b)
    xp, yp = check_points(x, y, owner)
    if isinstance(cost, CostMatrix) and is_concrete(cost.matrix):
        if not np.all(np.isfinite(np.asarray(cost.matrix))):
            raise ValueError(f"{owner}: cost must be a finite matrix (got inf entries).")
    if a is not None or b is not None:
        if all(is_concrete(v) for v in (a, b) if v is not None):
            n, m = xp.shape[0], yp.shape[0]
            wa = check_weights(a, n, owner, "a", xp.dtype, probability=False)
            wb = check_weights(b, m, owner, "b", xp.dtype, probability=False)
            _check_equal_mass(wa, wb, owner)
    return _exact_jit(owner, x, y, a, b, cost=cost)
