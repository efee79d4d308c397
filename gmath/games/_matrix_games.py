r"""Zero-sum matrix games: equilibria with certified duality gaps, values and their derivatives.

Convention: the row player :math:`x \in \Delta_m` minimises and the column player
:math:`y \in \Delta_n` maximises :math:`x^\top A y`. The duality gap

.. math::
    \operatorname{gap}(x, y) = \max_j (A^\top x)_j - \min_i (A y)_i \;\ge\; 0

is zero exactly at equilibria and bounds the error of the value: :math:`|x^\top A y - v| \le`
gap. Every solver here stops on a certified gap, runs under ``jit`` and ``vmap`` (many games at
once), and is bounded in iterations.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import float_dtype, gauss_solve, highest_precision, promote
from gmath._pytree import register_record

__all__ = [
    "MatrixGameSolution",
    "duality_gap",
    "matrix_game_value",
    "play_matrix_game",
    "solve_matrix_game",
]

METHODS = ("simplex", "extragradient", "omwu", "rm+", "fictitious_play")


def _check_matrix(A, name="solve_matrix_game"):
    """Promote ``A``; shapes are checked at trace time, entries where they are known.

    A concrete ``A`` (NumPy, or a JAX array closed over by a ``jit``-ted function) with a
    non-finite entry raises ``ValueError``; a traced one is checked under checks mode and the
    solvers return NaN for it.
    """
    concrete = not isinstance(A, jax.core.Tracer)
    raw = A
    (A,) = promote(A)
    if A.ndim != 2 or A.shape[0] < 1 or A.shape[1] < 1:
        raise ValueError(f"{name}: A must be a non-empty [m, n] matrix, got shape {A.shape}.")
    if concrete:
        # on the host: jnp on a closed-over constant is traced inside jit
        with np.errstate(over="ignore", invalid="ignore"):
            finite = bool(np.all(np.isfinite(np.asarray(raw, dtype=A.dtype))))
        if not finite:
            raise ValueError(f"{name}: A has non-finite entries (NaN or inf payoffs).")
    else:
        error_if_not(jnp.all(jnp.isfinite(A)), f"{name}: A has non-finite entries.")
    return A


def _check_nonnegative(value, name, arg):
    """``value`` as an array and whether it is >= 0: ``ValueError`` where concrete, NaN-flag
    (and :class:`InvalidParameterError` under checks mode) where traced."""
    if not isinstance(value, jax.core.Tracer):
        v = np.asarray(value)
        if v.shape != () or not bool(v >= 0):
            raise ValueError(f"{name}: {arg} must be a non-negative scalar, got {value!r}.")
        return value, True
    if jnp.shape(value) != ():
        raise ValueError(f"{name}: {arg} must be a scalar, got shape {jnp.shape(value)}.")
    ok = value >= 0
    error_if_not(ok, f"{name}: {arg} must be non-negative.")
    return value, ok


def _simplex_slack(p, n):
    """How far from 1 the sum of a mixed strategy may be by rounding alone: ``4 n eps``."""
    return float(4.0 * n * jnp.finfo(float_dtype(p)).eps)


def _on_simplex(p, slack):
    r"""Whether ``p`` is a mixed strategy: :math:`p \ge 0` and :math:`|\sum p - 1| \le` slack."""
    return jnp.all(p >= 0) & (jnp.abs(jnp.sum(p) - 1.0) <= slack)


def _certifiable_gap(A):
    r"""The smallest duality gap the dtype of ``A`` can certify: :math:`(m + n)\,\varepsilon
    \max|A_{ij}|`, the rounding bound of the two matrix-vector products in
    :math:`\max_j (A^\top x)_j - \min_i (A y)_i` (Higham 2002, eq. 3.5)."""
    m, n = A.shape
    return (m + n) * jnp.finfo(A.dtype).eps * jnp.max(jnp.abs(A))


@highest_precision
def duality_gap(A, x, y) -> jax.Array:
    r"""Duality gap :math:`\max_j (A^\top x)_j - \min_i (A y)_i` of the matrix game ``A``.

    Non-negative for mixed strategies :math:`x \in \Delta_m, y \in \Delta_n`, zero exactly at
    Nash equilibria; it is the sum of both players' gains from deviating (NashConv).

    A strategy off the simplex (a negative entry, or a sum that differs from one by more than
    rounding, :math:`4 k \varepsilon` for :math:`k` entries in the strategy's own dtype) is
    invalid: the gap is NaN, and :class:`gmath.config.InvalidParameterError` is raised in checks
    mode.

    Args:
      A: ``[m, n]`` loss matrix of the row player (who minimises).
      x: ``[m]`` row strategy; y: ``[n]`` column strategy.

    Returns:
      Scalar gap in the promoted dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> A = jnp.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
      >>> u = jnp.full(3, 1 / 3)
      >>> round(float(gg.duality_gap(A, u, u)), 12)
      0.0
      >>> round(float(gg.duality_gap(A, jnp.array([1.0, 0, 0]), u)), 6)
      1.0
      >>> float(gg.duality_gap(A, jnp.array([1.0, 1.0, 1.0]), u))
      nan
    """
    x, y = (np.asarray(u) if isinstance(u, (list, tuple)) else u for u in (x, y))
    slack_x = _simplex_slack(x, jnp.shape(x)[0] if jnp.ndim(x) == 1 else 1)
    slack_y = _simplex_slack(y, jnp.shape(y)[0] if jnp.ndim(y) == 1 else 1)
    A, x, y = promote(A, x, y)
    if A.ndim != 2 or x.shape != (A.shape[0],) or y.shape != (A.shape[1],):
        raise ValueError(
            f"duality_gap: need A [m, n], x [m], y [n]; got A {A.shape}, x {x.shape}, y {y.shape}."
        )
    ok = _on_simplex(x, slack_x) & _on_simplex(y, slack_y)
    error_if_not(ok, "duality_gap: x and y must be mixed strategies (non-negative, summing to 1).")
    return jnp.where(ok, _gap(A, x, y), jnp.nan)


@register_record  # not jax.tree_util.register_dataclass: see gmath._pytree
@dataclasses.dataclass(frozen=True)
class MatrixGameSolution:
    """Result of :func:`solve_matrix_game`; unpacks as ``x, y, value, gap``.

    Attributes:
      x: ``[m]`` row strategy (minimiser). y: ``[n]`` column strategy (maximiser).
      value: :math:`x^\\top A y`, within ``gap`` of the game's value.
      gap: certified duality gap of ``(x, y)``.
      num_iterations: iterations (simplex pivots) of the method used.
      converged: ``gap <= max(tolerance, (m + n) eps max|A|)``: the gap is certified up to the
        rounding of its own evaluation.
    """

    x: Any
    y: Any
    value: Any
    gap: Any
    num_iterations: Any
    converged: Any

    def __iter__(self) -> Iterator[Any]:
        return iter((self.x, self.y, self.value, self.gap))


# ---------------------------------------------------------------------------------------------
# simplex helpers


def _project_simplex(v):
    n = v.shape[-1]
    u = jnp.sort(v)[::-1]
    css = jnp.cumsum(u) - 1.0
    ind = jnp.arange(1, n + 1, dtype=v.dtype)
    cond = u - css / ind > 0
    rho = jnp.max(jnp.where(cond, jnp.arange(n), 0))
    theta = css[rho] / (rho + 1).astype(v.dtype)
    return jnp.maximum(v - theta, 0.0)


def _softmax(logits):
    z = logits - jnp.max(logits)
    e = jnp.exp(z)
    return e / jnp.sum(e)


def _normalise(p):
    p = jnp.maximum(p, 0.0)
    s = jnp.sum(p)
    n = p.shape[0]
    return jnp.where(s > 0, p / jnp.where(s > 0, s, 1.0), jnp.full_like(p, 1.0 / n))


def _gap(A, x, y):
    return jnp.max(x @ A) - jnp.min(A @ y)


# ---------------------------------------------------------------------------------------------
# dynamics as kernels: ``init(A) -> state`` and ``step(state, A) -> state`` over a NamedTuple
# state per dynamic, each holding the last play ``(px, py)``, the weighted sums of the plays
# ``(sx, sy)`` (the average iterate, up to normalisation) and the round ``t``; one driver
# (``_run_dynamics``) advances any of them. ``_candidates`` reads the pairs whose gap certifies.


class MatrixDynamics(NamedTuple):
    """A learning dynamic on a matrix game: ``init(A) -> state``, ``step(state, A) -> state``."""

    init: Callable[[jax.Array], Any]
    step: Callable[[Any, jax.Array], Any]


def _uniform(A):
    m, n = A.shape
    return jnp.full((m,), 1.0 / m, A.dtype), jnp.full((n,), 1.0 / n, A.dtype)


def _eg_rate(A):
    return 0.95 / jnp.maximum(jnp.linalg.norm(A, 2), jnp.finfo(A.dtype).tiny)


class ExtragradientState(NamedTuple):
    """Euclidean extragradient: iterates ``(x, y)``, extrapolated play, sums, round, step."""

    x: jax.Array
    y: jax.Array
    px: jax.Array
    py: jax.Array
    sx: jax.Array
    sy: jax.Array
    t: jax.Array
    eta: jax.Array


def _eg_init(A):
    x, y = _uniform(A)
    return ExtragradientState(
        x=x,
        y=y,
        px=x,
        py=y,
        sx=jnp.zeros_like(x),
        sy=jnp.zeros_like(y),
        t=jnp.zeros((), A.dtype),
        eta=_eg_rate(A),
    )


def _eg_step(c, A):
    eta = c.eta
    x, y = c.x, c.y
    xh = _project_simplex(x - eta * (A @ y))
    yh = _project_simplex(y + eta * (x @ A))
    x = _project_simplex(x - eta * (A @ yh))
    y = _project_simplex(y + eta * (xh @ A))
    return c._replace(x=x, y=y, px=xh, py=yh, sx=c.sx + xh, sy=c.sy + yh, t=c.t + 1)


def _omwu_rate(A):
    return 0.1 / jnp.maximum(jnp.max(jnp.abs(A)), jnp.finfo(A.dtype).tiny)


class OMWUState(NamedTuple):
    """Optimistic multiplicative weights: log-weights, last losses, play, sums, round, step."""

    lx: jax.Array
    ly: jax.Array
    gx: jax.Array
    gy: jax.Array
    px: jax.Array
    py: jax.Array
    sx: jax.Array
    sy: jax.Array
    t: jax.Array
    eta: jax.Array


def _omwu_init(A):
    x, y = _uniform(A)
    return OMWUState(
        lx=jnp.log(x),
        ly=jnp.log(y),
        gx=A @ y,
        gy=x @ A,
        px=x,
        py=y,
        sx=jnp.zeros_like(x),
        sy=jnp.zeros_like(y),
        t=jnp.zeros((), A.dtype),
        eta=_omwu_rate(A),
    )


def _omwu_step(c, A):
    eta = c.eta
    x, y = _softmax(c.lx), _softmax(c.ly)
    gx, gy = A @ y, x @ A
    lx = c.lx - eta * (2.0 * gx - c.gx)
    ly = c.ly + eta * (2.0 * gy - c.gy)
    lx = lx - jnp.max(lx)
    ly = ly - jnp.max(ly)
    return c._replace(lx=lx, ly=ly, gx=gx, gy=gy, px=x, py=y, sx=c.sx + x, sy=c.sy + y, t=c.t + 1)


class RegretMatchingState(NamedTuple):
    """Regret matching+: cumulative positive regrets, play, linearly weighted sums, round."""

    qx: jax.Array
    qy: jax.Array
    px: jax.Array
    py: jax.Array
    sx: jax.Array
    sy: jax.Array
    t: jax.Array


def _rmp_init(A):
    x, y = _uniform(A)
    return RegretMatchingState(
        qx=jnp.zeros_like(x),
        qy=jnp.zeros_like(y),
        px=x,
        py=y,
        sx=jnp.zeros_like(x),
        sy=jnp.zeros_like(y),
        t=jnp.zeros((), A.dtype),
    )


def _rmp_step(c, A):
    # alternating regret matching+ with linear averaging (Tammelin 2014)
    x = _normalise(c.qx)
    y = c.py
    loss_x = A @ y
    qx = jnp.maximum(c.qx + (x @ loss_x) - loss_x, 0.0)
    x = _normalise(qx)
    gain_y = x @ A
    qy = jnp.maximum(c.qy + gain_y - (gain_y @ y), 0.0)
    y = _normalise(qy)
    t = c.t + 1
    return c._replace(qx=qx, qy=qy, px=x, py=y, sx=c.sx + t * x, sy=c.sy + t * y, t=t)


class FictitiousPlayState(NamedTuple):
    """Fictitious play: the last best responses, the sums of all plays, the count of plays."""

    px: jax.Array
    py: jax.Array
    sx: jax.Array
    sy: jax.Array
    t: jax.Array


def _fp_init(A):
    x, y = _uniform(A)
    return FictitiousPlayState(px=x, py=y, sx=x, sy=y, t=jnp.ones((), A.dtype))


def _fp_step(c, A):
    # simultaneous fictitious play (Brown 1951): best responses to the empirical averages
    mx, my = c.sx / c.t, c.sy / c.t
    m, n = A.shape
    x = jax.nn.one_hot(jnp.argmin(A @ my), m, dtype=A.dtype)
    y = jax.nn.one_hot(jnp.argmax(mx @ A), n, dtype=A.dtype)
    return c._replace(px=x, py=y, sx=c.sx + x, sy=c.sy + y, t=c.t + 1)


_DYNAMICS = {
    "extragradient": MatrixDynamics(_eg_init, _eg_step),
    "omwu": MatrixDynamics(_omwu_init, _omwu_step),
    "rm+": MatrixDynamics(_rmp_init, _rmp_step),
    "fictitious_play": MatrixDynamics(_fp_init, _fp_step),
}


def _run_dynamics(dynamics, state, A, num_steps, record=False):
    """The one driver: ``num_steps`` steps of ``dynamics`` from ``state``; with ``record``, also
    the plays ``(px, py)`` of every step, stacked (a scan), else only the state (a fori loop)."""
    if record:

        def body(c, _):
            c = dynamics.step(c, A)
            return c, (c.px, c.py)

        return jax.lax.scan(body, state, None, length=num_steps)
    return jax.lax.fori_loop(0, num_steps, lambda _, c: dynamics.step(c, A), state)


def _candidates(c):
    s = jnp.sum(c.sx)
    mean = (
        c.sx / jnp.where(s > 0, s, 1.0),
        c.sy / jnp.where(jnp.sum(c.sy) > 0, jnp.sum(c.sy), 1.0),
    )
    return ((_normalise(c.px), _normalise(c.py)), (_normalise(mean[0]), _normalise(mean[1])))


# ---------------------------------------------------------------------------------------------
# polishing: guess the supports and solve the equalising linear system exactly


def _polish(A, sx, sy):
    """Equilibrium with supports ``sx``, ``sy`` (boolean masks) from one linear solve."""
    m, n = A.shape
    dt = A.dtype
    eye_m = jnp.eye(m, dtype=dt)
    eye_n = jnp.eye(n, dtype=dt)
    size = m + n + 2
    top = jnp.concatenate(
        [
            jnp.where(sx[:, None], 0.0, eye_m),
            jnp.where(sx[:, None], A, 0.0),
            jnp.where(sx[:, None], -1.0, 0.0),
            jnp.zeros((m, 1), dt),
        ],
        axis=1,
    )
    mid = jnp.concatenate(
        [
            jnp.where(sy[:, None], A.T, 0.0),
            jnp.where(sy[:, None], 0.0, eye_n),
            jnp.zeros((n, 1), dt),
            jnp.where(sy[:, None], -1.0, 0.0),
        ],
        axis=1,
    )
    sums = jnp.zeros((2, size), dt)
    sums = sums.at[0, :m].set(1.0).at[1, m : m + n].set(1.0)
    M = jnp.concatenate([top, mid, sums], axis=0)
    rhs = jnp.zeros((size,), dt).at[m + n].set(1.0).at[m + n + 1].set(1.0)
    sol = gauss_solve(M, rhs)  # not jnp.linalg.solve: see gmath._numerics._linalg
    ok = jnp.all(jnp.isfinite(sol))
    sol = jnp.where(ok, sol, 0.0)
    return _normalise(sol[:m]), _normalise(sol[m : m + n])


def _support_guesses(A, x, y, gap):
    ay = A @ y
    xa = x @ A
    slack = jnp.maximum(gap, jnp.finfo(A.dtype).eps)
    by_slack = (ay - jnp.min(ay) <= 2.0 * slack, jnp.max(xa) - xa <= 2.0 * slack)
    by_mass = (x > 1e-3 * jnp.max(x), y > 1e-3 * jnp.max(y))
    return by_slack, by_mass


def _better(best, cand, A):
    bx, by, bg = best
    cx, cy = cand
    cg = _gap(A, cx, cy)
    take = jnp.isfinite(cg) & (cg < bg)
    return jnp.where(take, cx, bx), jnp.where(take, cy, by), jnp.where(take, cg, bg)


def _solve_normalised(A, *, method, tolerance, max_iterations, check_every, polish):
    dynamics = _DYNAMICS[method]
    c0 = dynamics.init(A)
    x0, y0 = _uniform(A)
    best0 = (x0, y0, _gap(A, x0, y0))
    blocks = max(1, -(-max_iterations // check_every))

    def cond(carry):
        _, best, k = carry
        return (k < blocks) & (best[2] > tolerance)

    def body(carry):
        c, best, k = carry
        c = _run_dynamics(dynamics, c, A, check_every)
        for cand in _candidates(c):
            best = _better(best, cand, A)
            if polish:
                for sx, sy in _support_guesses(A, *cand, _gap(A, *cand)):
                    best = _better(best, _polish(A, sx, sy), A)
        return c, best, k + 1

    _, best, k = jax.lax.while_loop(cond, body, (c0, best0, jnp.zeros((), jnp.int32)))
    return best, k * check_every


def _simplex(An, max_pivots):
    r"""Exact equilibrium by the tableau simplex method on the game's LP (one game, batchable).

    With :math:`B = 2 - A_n > 0` (``A_n`` scaled into [-1, 1]) the column player's LP is
    :math:`\max 1^\top q` s.t. :math:`B q \le 1, q \ge 0`; its optimum is :math:`1/v_B`, the
    optimal ``q`` normalised is ``y`` and the slack columns' reduced costs normalised are ``x``.
    Dantzig's rule, switching to Bland's rule (which cannot cycle) after ``2 (m + n)`` pivots.
    """
    m, n = An.shape
    dt = An.dtype
    B = 2.0 - An
    T = jnp.zeros((m + 1, n + m + 1), dt)
    T = T.at[:m, :n].set(B).at[:m, n : n + m].set(jnp.eye(m, dtype=dt)).at[:m, -1].set(1.0)
    T = T.at[m, :n].set(-1.0)
    basis = jnp.arange(n, n + m)
    eps = 64 * jnp.finfo(dt).eps

    def cond(c):
        T, _, k = c
        return (k < max_pivots) & (jnp.min(T[m, :-1]) < -eps)

    def body(c):
        T, basis, k = c
        reduced = T[m, :-1]
        bland = k >= 2 * (m + n)
        first_negative = jnp.argmax(reduced < -eps)
        e = jnp.where(bland, first_negative, jnp.argmin(reduced))
        col = T[:m, e]
        positive = col > eps
        ratios = jnp.where(positive, T[:m, -1] / jnp.where(positive, col, 1.0), jnp.inf)
        r = jnp.argmin(ratios)
        pivot_row = T[r] / T[r, e]
        factors = T[:, e].at[r].set(0.0)
        T = T - factors[:, None] * pivot_row[None, :]
        T = T.at[r].set(pivot_row)
        basis = basis.at[r].set(e)
        return T, basis, k + 1

    T, basis, k = jax.lax.while_loop(cond, body, (T, basis, jnp.zeros((), jnp.int32)))
    q = jnp.zeros((n + m,), dt).at[basis].set(T[:m, -1])[:n]
    p = T[m, n : n + m]
    return _normalise(p), _normalise(q), k, basis


def _reinvert(An, basis):
    r"""Primal and dual solutions of the final simplex basis, from the data, not the tableau.

    The tableau carries the rounding of all its pivots (gaps near 1e-5 in float32 on degenerate
    bases). Solving :math:`B_\mathcal{B} q_\mathcal{B} = 1` and
    :math:`B_\mathcal{B}^\top p = c_\mathcal{B}` with the basic columns of :math:`[B \; I]`
    directly ("reinversion", as simplex codes do periodically) removes it.
    """
    m, n = An.shape
    dt = An.dtype
    Bb = jnp.concatenate([2.0 - An, jnp.eye(m, dtype=dt)], axis=1)[:, basis]
    qb = gauss_solve(Bb, jnp.ones((m,), dt))
    p = gauss_solve(Bb.T, (basis < n).astype(dt))
    q = jnp.zeros((n + m,), dt).at[basis].set(qb)[:n]
    ok = jnp.all(jnp.isfinite(qb)) & jnp.all(jnp.isfinite(p))
    x = _normalise(jnp.where(ok, jnp.maximum(p, 0.0), 1.0))
    y = _normalise(jnp.where(ok, jnp.maximum(q, 0.0), 1.0))
    return x, y


@highest_precision
def solve_matrix_game(
    A,
    *,
    method: str = "simplex",
    tolerance: float = 1e-8,
    max_iterations: int = 100_000,
    check_every: int = 50,
    polish: bool = True,
) -> MatrixGameSolution:
    r"""Mixed Nash equilibrium of the zero-sum matrix game :math:`\min_x \max_y x^\top A y`.

    The default ``method="simplex"`` solves the game's linear program exactly by batched tableau
    simplex pivots (Dantzig's rule, then Bland's rule, which cannot cycle): with
    :math:`B = c - A > 0`, the column player's LP :math:`\max 1^\top q` s.t.
    :math:`Bq \le 1, q \ge 0` gives :math:`y = q/1^\top q`, its duals give :math:`x`. Every
    game in a ``vmap`` batch pivots in lock-step; a random 20 x 20 game needs about 20-40 pivots.
    In float64 the gap is at rounding level (~1e-14). In float32 (with ``polish=True``) the
    final basis is re-solved from the data rather than read from the tableau: a random 20 x 20
    game is certified to a gap of 1e-6 in 99.9% of cases (94% from the tableau alone).

    The iterative methods run in blocks of ``check_every`` steps; after each block the duality
    gap of the last and the average iterate is evaluated and, with ``polish=True``, the supports
    they suggest are tried by solving the equalising linear system
    :math:`(A y)_i = v` on the row support, :math:`(A^\top x)_j = v` on the column support,
    exactly. They stop once the gap is at most ``tolerance`` or after ``max_iterations`` steps:
    ``"extragradient"`` (Euclidean extragradient on the simplices, step
    :math:`0.95/\|A\|_2`), ``"omwu"`` (optimistic multiplicative weights), ``"rm+"``
    (alternating regret matching+ with linear averaging), ``"fictitious_play"``.

    The matrix is centred and scaled first (so results are equivariant under
    :math:`A \mapsto aA + b`), and the gap returned is always recomputed on ``A``: it certifies
    :math:`|\mathrm{value} - v(A)| \le \mathrm{gap}`.

    Args:
      A: ``[m, n]`` loss matrix of the row player.
      method: one of the methods above.
      tolerance: target duality gap (absolute, in the units of ``A``). A gap below the rounding of
        its own evaluation, :math:`(m + n)\,\varepsilon \max|A_{ij}|` (``eps`` of the dtype),
        cannot be certified: ``tolerance`` is raised to that floor (so the default is reachable in
        float32 too). Non-negative.
      max_iterations: bound on iterations (pivots for the simplex method).
      check_every: iterations between certificate checks (iterative methods).
      polish: try exact support solves at each check (iterative methods); re-solve the final
        basis from the data (simplex: below float64, and in float64 where the tableau's gap
        misses ``tolerance``, as after a tiny pivot).

    Returns:
      A :class:`MatrixGameSolution` ``(x, y, value, gap)`` with ``num_iterations`` and
      ``converged``.

    References:
      Korpelevich (1976) [@korpelevich1976extragradient]; Rakhlin and Sridharan (2013).
      Optimization, learning, and games with predictable sequences. NeurIPS
      [@rakhlin2013optimization]; Tammelin (2014). Solving large imperfect information games
      using CFR+. arXiv:1407.5042 [@tammelin2014solving]; Brown (1951). Iterative solution of
      games by fictitious play [@brown1951iterative].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> A = jnp.array([[0.0, -0.25, 0.5], [0.25, 0.0, -0.05], [-0.5, 0.05, 0.0]])
      >>> x, y, value, gap = gg.solve_matrix_game(A)
      >>> [round(float(p) * 16, 6) for p in x], round(float(value), 6), bool(gap < 1e-6)
      ([1.0, 10.0, 5.0], 0.0, True)
    """
    if method not in METHODS:
        raise ValueError(f"solve_matrix_game: method must be one of {METHODS}, got {method!r}.")
    if int(check_every) < 1 or int(max_iterations) < 1:
        raise ValueError("solve_matrix_game: max_iterations and check_every must be positive.")
    tolerance, _ = _check_nonnegative(tolerance, "solve_matrix_game", "tolerance")
    A = _check_matrix(A)
    return _solve_jit(
        A,
        jnp.asarray(tolerance, A.dtype),
        method=method,
        max_iterations=int(max_iterations),
        check_every=int(check_every),
        polish=bool(polish),
    )


def _divide(a, s):
    """``a / s`` for ``s > 0`` in two power-of-two stages: XLA on CPU turns a division into a
    product with the reciprocal, and ``1 / s`` is subnormal (flushed to zero) for ``s`` within a
    factor 4 of the dtype's maximum."""
    mant, e = jnp.frexp(s)
    half = e // 2
    one = jnp.ones((), a.dtype)
    return (a * jnp.ldexp(one, -half)) * jnp.ldexp(one, half - e) / mant


def _solve_impl(A, tolerance, *, method, max_iterations, check_every, polish):
    # invalid input that was traced (checked under checks mode by the caller): NaN out
    valid = jnp.all(jnp.isfinite(A)) & (tolerance >= 0)
    A = jnp.where(valid, A, 0.0)
    tolerance = jnp.maximum(jnp.where(valid, tolerance, 0.0), _certifiable_gap(A))
    shift = jnp.mean(A)
    scale = jnp.max(jnp.abs(A - shift))
    safe_scale = jnp.where(scale > 0, scale, 1.0)
    An = _divide(A - shift, safe_scale)
    if method == "simplex":
        x, y, iters, basis = _simplex(An, max_iterations)
        # the tableau carries the rounding of its pivots (gaps ~1e-5 in float32; in float64
        # ~1e-10 where a pivot is small, e.g. payoffs 1e-6 apart): keep the basis re-solved
        # from the data when its certified gap is smaller. In float64 only where the tableau's
        # gap misses the tolerance (a cond, so unbatched solves that converged do not pay for
        # it; under vmap both branches run)
        if polish:
            current = (x, y, _gap(An, x, y))
            if jnp.finfo(An.dtype).bits < 64:
                x, y, _ = _better(current, _reinvert(An, basis), An)
            else:
                x, y, _ = jax.lax.cond(
                    current[2] > _divide(tolerance, safe_scale),
                    lambda: _better(current, _reinvert(An, basis), An),
                    lambda: current,
                )
    else:
        (x, y, _), iters = _solve_normalised(
            An,
            method=method,
            tolerance=_divide(tolerance, safe_scale),
            max_iterations=max_iterations,
            check_every=check_every,
            polish=polish,
        )
    gap = _gap(A, x, y)
    value = x @ A @ y
    converged = valid & (gap <= tolerance)
    nan = jnp.asarray(jnp.nan, A.dtype)
    x, y, value, gap = (jnp.where(valid, u, nan) for u in (x, y, value, gap))
    return MatrixGameSolution(x, y, value, gap, iters, converged)


_solve_jit = cached(
    _solve_impl, static_argnames=("method", "max_iterations", "check_every", "polish")
)


@highest_precision
def play_matrix_game(
    A, *, method: str = "rm+", num_steps: int = 100
) -> tuple[jax.Array, jax.Array]:
    r"""The strategies played by a learning dynamic on the matrix game ``A``.

    For any sequence of plays :math:`(x_t, y_t)_{t \le T}`, the sum of both players' external
    regrets equals :math:`T\,\operatorname{gap}(\bar x, \bar y)` of the uniform averages, so a
    no-regret dynamic certifies its average.

    Args:
      A: ``[m, n]`` loss matrix.
      method: ``"extragradient"`` (plays the extrapolated points), ``"omwu"``, ``"rm+"`` or
        ``"fictitious_play"``.
      num_steps: number of rounds :math:`T` (static).

    Returns:
      ``(xs, ys)`` of shapes ``[T, m]``, ``[T, n]``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> xs, ys = gg.play_matrix_game(jnp.eye(2), num_steps=4)
      >>> xs.shape, ys.shape
      ((4, 2), (4, 2))
    """
    if method not in _DYNAMICS:
        raise ValueError(
            f"play_matrix_game: method must be one of {tuple(_DYNAMICS)}, got {method!r}."
        )
    if int(num_steps) != num_steps or num_steps < 0:
        raise ValueError(
            f"play_matrix_game: num_steps must be a non-negative integer, got {num_steps!r}."
        )
    A = _check_matrix(A, "play_matrix_game")
    return _play_jit(A, method=method, num_steps=int(num_steps))


@cached(static_argnames=("method", "num_steps"))
def _play_jit(A, *, method, num_steps):
    dynamics = _DYNAMICS[method]
    valid = jnp.all(jnp.isfinite(A))  # traced non-finite A (checked in checks mode): NaN out
    A = jnp.where(valid, A, 0.0)
    _, (xs, ys) = _run_dynamics(dynamics, dynamics.init(A), A, num_steps, record=True)
    nan = jnp.asarray(jnp.nan, A.dtype)
    return jnp.where(valid, xs, nan), jnp.where(valid, ys, nan)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _value(A, tolerance):
    return solve_matrix_game(A, tolerance=tolerance).value


@_value.defjvp
def _value_jvp(tolerance, primals, tangents):
    (A,) = primals
    (dA,) = tangents
    sol = solve_matrix_game(A, tolerance=tolerance)
    return sol.value, sol.x @ dA @ sol.y


@highest_precision
def matrix_game_value(A, *, tolerance: float = 1e-10) -> jax.Array:
    r"""Value :math:`v(A) = \min_x \max_y x^\top A y`, differentiable by Danskin's theorem.

    .. math::
        \frac{\partial v}{\partial A_{ij}} = x^\star_i\, y^\star_j

    where the equilibrium is unique (almost every :math:`A`); elsewhere this is one element of
    the subdifferential.

    Args:
      A: ``[m, n]`` loss matrix.
      tolerance: duality-gap tolerance of the inner solve (raised to what the dtype can certify,
        as in :func:`solve_matrix_game`).

    Returns:
      Scalar value.

    References:
      Danskin (1967). The Theory of Max-Min and its Application to Weapons Allocation Problems
      [@danskin1967theory].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath import games as gg
      >>> A = jnp.array([[1.0, -1.0], [-1.0, 1.0]])
      >>> round(float(gg.matrix_game_value(A)), 9)
      0.0
      >>> jax.grad(gg.matrix_game_value)(A).round(6).tolist()
      [[0.25, 0.25], [0.25, 0.25]]
    """
    if isinstance(tolerance, jax.core.Tracer):
        raise TypeError("matrix_game_value: tolerance must be a Python float, not a traced array.")
    _check_nonnegative(tolerance, "matrix_game_value", "tolerance")
    A = _check_matrix(A, "matrix_game_value")
    return _value_jit(A, tolerance=float(tolerance))


# eagerly, a custom_jvp function is retraced on every call: compile it once per shape and
# tolerance
_value_jit = cached(lambda A, *, tolerance: _value(A, tolerance), static_argnames=("tolerance",))
