"""Edge grid for gmath.games: matrix games with known values at scales 1e-30..1e30, degenerate
shapes (1 x n, n x 1), pure saddles, dominated and all-equal matrices, invalid strategies and
temperatures, logit equilibria at extreme temperatures, and every solver started at an exact
saddle or run with learning rate 0. Oracles: closed forms, mpmath, scipy's HiGHS (float64)."""

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.optimize

from gmath import games as gg

from _edges import EdgeGroup, assert_edges
from _solvers import SOLVERS_BY_RATE

NAN = math.nan
INF = math.inf
SQRT2 = math.sqrt(2.0)


# --- closed forms ---------------------------------------------------------------------------


def _value_2x2(a, b, c, d):
    """Value of min_x max_y x^T A y for A = [[a, b], [c, d]]: a pure saddle if the pure upper
    value min_i max_j equals the lower value max_j min_i, else (ad - bc) / (a - b - c + d)."""
    upper = min(max(a, b), max(c, d))
    lower = max(min(a, c), min(b, d))
    if upper == lower:
        return upper
    return (a * d - b * c) / (a - b - c + d)


def _mixed_2x2(a, b, c, d):
    """Equilibrium (p, q) = (x_0, y_0) of a 2 x 2 game without a pure saddle (equalisers)."""
    den = a - b - c + d
    return (d - c) / den, (d - b) / den


def _lp_value(A):
    """min t s.t. A^T x <= t 1, sum x = 1, x >= 0 (scipy HiGHS), float64."""
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = 1.0
    res = scipy.optimize.linprog(
        c,
        A_ub=np.hstack([A.T, -np.ones((n, 1))]),
        b_ub=np.zeros(n),
        A_eq=np.hstack([np.ones((1, m)), np.zeros((1, 1))]),
        b_eq=[1.0],
        bounds=[(0, None)] * m + [(None, None)],
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    assert res.success
    return float(res.fun)


def _mp_lse(values, t):
    """t log sum exp(v / t) at 50 digits."""
    mpmath.mp.dps = 50
    t = mpmath.mpf(t)
    return float(t * mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v) / t) for v in values)))


def _mp_entropy_softmax(values, t):
    """Entropy of softmax(v / t), which is d/dt [t lse(v / t)]."""
    mpmath.mp.dps = 50
    t = mpmath.mpf(t)
    w = [mpmath.exp(mpmath.mpf(v) / t) for v in values]
    z = mpmath.fsum(w)
    return float(-mpmath.fsum(wi / z * mpmath.log(wi / z) for wi in w if wi > 0))


# --- matrix-game values -----------------------------------------------------------------------

SCALES = [1.0, 1e-15, 1e15, 1e-30, 1e30]
BASE_2X2 = [
    (1.0, -1.0, -1.0, 1.0),  # matching pennies: 0
    (3.0, -1.0, -2.0, 1.0),  # mixed: 1/7
    (1.0, 2.0, 0.0, 3.0),  # pure saddle at (0, 1): 2
    (0.0, 1.0, 2.0, 3.0),  # row 1 dominated: 1
    (-2.0, 5.0, 4.0, -1.0),  # mixed: 1.5
    (0.7, 0.7, 0.7, 0.7),  # all equal
    (0.0, 0.0, 0.0, 0.0),  # all zero
    (-1e-3, 2.0, 2.0, -3.0),  # mixed, unbalanced
]
CASES_2X2 = [(*abcd, s) for abcd in BASE_2X2 for s in SCALES]
INVALID_2X2 = [(INF, 0.0, 0.0, 1.0, 1.0), (1.0, NAN, 0.0, 1.0, 1.0), (1.0, 0.0, -INF, 1.0, 1.0)]


def _scaled_2x2(a, b, c, d, s):
    return s * jnp.stack([jnp.stack([a, b]), jnp.stack([c, d])])


def _value_over_scale(a, b, c, d, s):
    return gg.matrix_game_value(_scaled_2x2(a, b, c, d, s)) / s


def _gap_over_scale(a, b, c, d, s):
    return gg.solve_matrix_game(_scaled_2x2(a, b, c, d, s)).gap / s


def _gap_of_exact_mixed(a, b, c, d):
    # the equalising strategies evaluated in the input dtype: gap 0 up to rounding
    den = a - b - c + d
    p, q = (d - c) / den, (d - b) / den
    A = _scaled_2x2(a, b, c, d, jnp.ones_like(a))
    return gg.duality_gap(A, jnp.stack([p, 1 - p]), jnp.stack([q, 1 - q]))


def _danskin_a(a, b, c, d):
    return jax.grad(lambda u: gg.matrix_game_value(_scaled_2x2(u, b, c, d, jnp.ones_like(u))))(a)


MIXED_2X2 = [
    (3.0, -1.0, -2.0, 1.0),
    (-2.0, 5.0, 4.0, -1.0),
    (1.0, -1.0, -1.0, 1.0),
    (2.0, -3.0, -1e-3, 2.0),
]
PURE_2X2 = [(1.0, 2.0, 0.0, 3.0), (0.0, 1.0, 2.0, 3.0), (-1.0, 0.5, 1.0, 2.0), (1.0, 0.0, 2.0, 3.0)]


def _danskin_oracle(a, b, c, d):
    """dv/da = x_0 y_0 (Danskin): at a strict pure saddle 1 if it is cell (0, 0), else 0."""
    A = np.array([[a, b], [c, d]])
    saddles = [
        (i, j)
        for i in range(2)
        for j in range(2)
        if A[i, j] == A[i].max() and A[i, j] == A[:, j].min()  # column maximises, row minimises
    ]
    if saddles:
        assert len(saddles) == 1
        return 1.0 if saddles[0] == (0, 0) else 0.0
    p, q = _mixed_2x2(a, b, c, d)
    return p * q


# generalised rock-paper-scissors (skew-symmetric) + k: value k, x = y = (c, b, a) / (a + b + c)
GRPS = [
    (a, b, c, k, s)
    for a, b, c in [(1.0, 1.0, 1.0), (0.25, 0.5, 0.05), (2.0, 1e-3, 7.0)]
    for k in [0.0, -0.5, 3.0]
    for s in [1.0, 1e-15, 1e15, 1e-30, 1e30]
]


def _grps(a, b, c, k, s):
    z = jnp.zeros_like(a)
    A = jnp.stack([jnp.stack([z, -a, b]), jnp.stack([a, z, -c]), jnp.stack([-b, c, z])])
    return s * (A + k)


def _grps_value(a, b, c, k, s):
    return gg.solve_matrix_game(_grps(a, b, c, k, s)).value / s


def _grps_x0(a, b, c, k, s):
    return gg.solve_matrix_game(_grps(a, b, c, k, s)).x[0]


# 1 x 3 and 3 x 1 games: the one-strategy player is passive, the other picks an extreme entry
ROW_COL = [
    (a, b, c, s)
    for a, b, c in [(1.0, -2.0, 0.5), (0.0, 0.0, 0.0), (-3.0, -3.0, 1.0)]
    for s in SCALES
]


def _row_value(a, b, c, s):
    return gg.matrix_game_value(s * jnp.stack([a, b, c])[None, :]) / s


def _col_value(a, b, c, s):
    return gg.matrix_game_value(s * jnp.stack([a, b, c])[:, None]) / s


# random 4 x 5 games against linear programming
_RNG = np.random.default_rng(20)
RANDOM_GAMES = [tuple(_RNG.normal(size=20)) for _ in range(6)] + [
    tuple(np.round(_RNG.normal(size=20)))
    for _ in range(4)  # integer entries: degenerate bases
]


def _random_value(*entries):
    return gg.solve_matrix_game(jnp.stack(entries).reshape(4, 5)).value


def _random_gap(*entries):
    return gg.solve_matrix_game(jnp.stack(entries).reshape(4, 5)).gap


LP_VALUES = [_lp_value(np.asarray(e).reshape(4, 5)) for e in RANDOM_GAMES]  # ~10 ms


# strategies against the uniform column player of rock-paper-scissors: gap = max(x^T A)
RPS = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
STRATEGIES = [
    (1 / 3, 1 / 3, 1 / 3),
    (1.0, 0.0, 0.0),
    (0.0, 0.0, 1.0),
    (0.2, 0.5, 0.3),
    (0.5, 0.5, 0.0),
    (-0.1, 0.6, 0.5),  # negative entry
    (0.5, 0.5, 0.5),  # sums to 1.5
    (0.2, 0.2, 0.2),  # sums to 0.6
    (1.0, 1e-3, 0.0),  # sum off by 1e-3
    (INF, 0.0, 0.0),
    (NAN, 0.5, 0.5),
    (1e30, -1e30, 1.0),  # sums to 1 in exact arithmetic only by cancellation: invalid
]


def _strategy_oracle(x0, x1, x2):
    x = np.array([x0, x1, x2])
    if not (np.all(x >= 0) and abs(x.sum() - 1.0) < 1e-9):
        return NAN
    return float(np.max(x @ RPS))


def _gap_vs_uniform(x0, x1, x2):
    u = jnp.full((3,), 1 / 3, x0.dtype)
    return gg.duality_gap(jnp.asarray(RPS, x0.dtype), jnp.stack([x0, x1, x2]), u)


def _exploitability_vs_uniform(x0, x1, x2):
    u = jnp.full((3,), 1 / 3, x0.dtype)
    costs = jnp.asarray(np.stack([RPS, -RPS]), x0.dtype)
    return gg.exploitability(costs, [jnp.stack([x0, x1, x2]), u])


# --- logit equilibria: a 1 x 3 game has value t lse(a / t); a 3 x 1 game -t lse(-a / t) ---------

LOGIT_VALUES = [(1.0, -2.0, 0.5), (0.0, 0.0, 0.0), (3.0, 3.0, -1.0)]
TEMPERATURES = [1e-30, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e30]
LOGIT_CASES = [(*v, t) for v in LOGIT_VALUES for t in TEMPERATURES] + [
    (1.0, -2.0, 0.5, 0.0),
    (1.0, -2.0, 0.5, -1.0),
    (1.0, -2.0, 0.5, -INF),
    (1.0, -2.0, 0.5, NAN),
]


def _logit_row(a, b, c, t):
    return gg.logit_equilibrium(jnp.stack([a, b, c])[None, :], temperature=t).value


def _logit_col(a, b, c, t):
    return gg.logit_equilibrium(jnp.stack([a, b, c])[:, None], temperature=t).value


def _logit_row_dt(a, b, c, t):
    return jax.grad(lambda u: _logit_row(a, b, c, u))(t)


def _logit_oracle(a, b, c, t, sign):
    if not t > 0:
        return NAN
    return sign * _mp_lse([sign * a, sign * b, sign * c], t)


LOGIT_GRAD_CASES = [(*v, t) for v in LOGIT_VALUES for t in [1e-2, 0.3, 1.0, 10.0, 1e3]]


# --- solvers: started at the exact saddle of f = p x^2/2 + b x y - q y^2/2 + cx x - cy y they stay
# there; with learning rate 0 they stay wherever they start; a negative traced rate gives NaN -----


def _saddle(p, b, q, cx, cy):
    # grad_x = p x + b y + cx = 0, grad_y = b x - q y - cy = 0
    det = -p * q - b * b
    return ((-cx) * (-q) - b * cy) / det, (p * cy - b * (-cx)) / det


GAMES = [
    (1.0, 2.0, 1.0, 0.5, -0.3),  # strongly convex-concave
    (0.0, 1.0, 0.0, 0.0, 0.0),  # bilinear, saddle at 0
    (0.0, 1.5, 0.0, 0.3, -0.6),  # bilinear with linear terms
    (2.0, 0.0, 0.5, -1.0, 1.0),  # uncoupled
]
SOLVER_CASES = (
    [(*g, 0.1, *_saddle(*g)) for g in GAMES]  # from the saddle: stays
    + [(*g, 0.0, 0.7, -1.3) for g in GAMES]  # rate 0: stays
    + [(*GAMES[0], 0.0, 1e30, -1e30), (*GAMES[1], 0.0, -1e-30, 1e-30)]
    + [(*g, -0.1, 0.7, -1.3) for g in GAMES[:2]]  # invalid traced rate: NaN
)


def _solver_oracle(p, b, q, cx, cy, lr, x0, y0):
    if not lr >= 0:
        return NAN
    return x0 + SQRT2 * y0


def _make_solver_fn(make):
    def fn(p, b, q, cx, cy, lr, x0, y0):
        game = gg.ZeroSumGame(
            lambda x, y: 0.5 * p * x * x + b * x * y - 0.5 * q * y * y + cx * x - cy * y
        )
        state, trace = gg.solve(game, make(learning_rate=lr), (x0, y0), num_steps=25)
        # a divergence flag here would be false: the iterates never leave their start
        return jnp.where(trace.diverged, jnp.nan, state.x + SQRT2 * state.y)

    return fn


# --- GAN losses at saturated logits (softplus forms; mpmath oracles) ---------------------------

LOGITS = [0.0, 1.0, -1.0, 30.0, -30.0, 1e4, -1e4, 1e30, -1e30, INF, -INF]
LOGIT_PAIRS = [(r, f) for r in LOGITS for f in [0.0, -30.0, 1e4, -1e30, INF, -INF]]


def _mp_softplus(v):
    mpmath.mp.dps = 50
    if v == INF:
        return INF
    if v == -INF:
        return 0.0
    return float(mpmath.log1p(mpmath.exp(mpmath.mpf(v))))


def _mp_sigmoid(v):
    mpmath.mp.dps = 50
    if math.isinf(v):
        return 1.0 if v > 0 else 0.0
    return float(1 / (1 + mpmath.exp(-mpmath.mpf(v))))


def _minimax_d(r, f):
    return gg.minimax_loss(r[None], f[None])[0]


def _non_saturating_g(r, f):
    return gg.non_saturating_loss(r[None], f[None])[1]


def _js_d(r, f):
    return gg.f_gan_loss(r[None], f[None], divergence="jensen_shannon")[0]


def _reverse_kl_d(r, f):
    return gg.f_gan_loss(r[None], f[None], divergence="kl_reverse")[0]


def _minimax_d_grad_real(r, f):
    return jax.grad(_minimax_d)(r, f)


def _reverse_kl_oracle(r, f):
    # -E_p(-exp(-r)) + E_q(f - 1) = exp(-r) + f - 1
    mpmath.mp.dps = 50
    if r == -INF or f == INF:
        return INF if not (f == -INF) else NAN
    if f == -INF:
        return -INF
    return float(mpmath.exp(-mpmath.mpf(r)) + mpmath.mpf(f) - 1)


REVERSE_KL_PAIRS = [
    (r, f) for r in [0.0, 1.0, -30.0, 1e4, 1e30, INF] for f in [0.0, 2.5, -1e4, 1e30]
]
WEIGHTS = [0.0, 0.5, 1.0, 1e30, 1e-30, -1e-30, -0.5, -1.0, NAN, INF]


def _weighted_minimax_d(w):
    one = jnp.ones_like(w)
    return gg.minimax_loss(
        jnp.stack([0 * w, one]), jnp.stack([0 * w, 0 * w]), real_weights=jnp.stack([w, one])
    )[0]


def _weighted_oracle(w):
    if not (w >= 0) or math.isinf(w):
        return NAN  # negative, NaN, or an infinite weight (inf / inf) is invalid
    return (w * _mp_softplus(0.0) + _mp_softplus(-1.0)) / (w + 1) + _mp_softplus(0.0)


# --- the table ------------------------------------------------------------------------------

EDGE_GROUPS = (
    [
        EdgeGroup(
            "matrix_game_value_2x2_scaled",
            _value_over_scale,
            args=CASES_2X2 + INVALID_2X2,
            expected=[_value_2x2(*c[:4]) for c in CASES_2X2] + [NAN] * len(INVALID_2X2),
            rtol={"float64": 1e-12, "float32": 2e-6},
            atol={"float64": 1e-15, "float32": 1e-6},
        ),
        EdgeGroup(
            "matrix_game_value_2x2_dtype_limits_float64",
            _value_over_scale,
            args=[(*abcd, s) for abcd in BASE_2X2[:5] for s in [1e-300, 1e300]],
            expected=[_value_2x2(*abcd) for abcd in BASE_2X2[:5] for s in [1e-300, 1e300]],
            rtol={"float64": 1e-12},
            atol={"float64": 1e-15},
        ),
        EdgeGroup(
            "matrix_game_value_2x2_dtype_limits_float32",
            _value_over_scale,
            args=[(*abcd, s) for abcd in BASE_2X2[:5] for s in [1e-36, 5e37]],
            expected=[_value_2x2(*abcd) for abcd in BASE_2X2[:5] for s in [1e-36, 5e37]],
            rtol={"float32": 2e-6},
            atol={"float32": 1e-6},
        ),
        EdgeGroup(
            # the certified gap is at the rounding floor (m + n) eps max|A| of its own evaluation
            "solve_matrix_game_gap_2x2_scaled",
            _gap_over_scale,
            args=CASES_2X2,
            expected=[0.0] * len(CASES_2X2),
            rtol={"float64": 0.0, "float32": 0.0},
            atol={"float64": 4 * 5 * 2.3e-16, "float32": 4 * 5 * 1.2e-7},
        ),
        EdgeGroup(
            "duality_gap_of_exact_mixed_equilibrium",
            _gap_of_exact_mixed,
            args=MIXED_2X2,
            expected=[0.0] * len(MIXED_2X2),
            rtol={"float64": 0.0, "float32": 0.0},
            atol={"float64": 4 * 5 * 2.3e-16, "float32": 4 * 5 * 1.2e-7},
        ),
        EdgeGroup(
            "matrix_game_value_danskin_gradient",
            _danskin_a,
            args=MIXED_2X2 + PURE_2X2,
            expected=[_danskin_oracle(*c) for c in MIXED_2X2 + PURE_2X2],
            rtol={"float64": 1e-12, "float32": 1e-5},
            atol={"float64": 1e-15, "float32": 1e-6},
        ),
        EdgeGroup(
            "generalised_rps_value",
            _grps_value,
            args=GRPS,
            expected=[c[3] for c in GRPS],
            rtol={"float64": 1e-12, "float32": 2e-6},
            atol={"float64": 1e-14, "float32": 2e-6},
        ),
        EdgeGroup(
            "generalised_rps_equilibrium",
            _grps_x0,
            args=GRPS,
            expected=[c[2] / (c[0] + c[1] + c[2]) for c in GRPS],
            rtol={"float64": 1e-10, "float32": 2e-4},
            atol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "one_row_game_value_is_max",
            _row_value,
            args=ROW_COL,
            expected=[max(c[:3]) for c in ROW_COL],
            rtol={"float64": 1e-14, "float32": 1e-6},
            atol={"float64": 1e-15, "float32": 1e-7},
        ),
        EdgeGroup(
            "one_column_game_value_is_min",
            _col_value,
            args=ROW_COL,
            expected=[min(c[:3]) for c in ROW_COL],
            rtol={"float64": 1e-14, "float32": 1e-6},
            atol={"float64": 1e-15, "float32": 1e-7},
        ),
        EdgeGroup(
            "duality_gap_invalid_strategies",
            _gap_vs_uniform,
            args=STRATEGIES,
            expected=[_strategy_oracle(*x) for x in STRATEGIES],
            rtol={"float64": 1e-14, "float32": 1e-6},
            atol={"float64": 1e-15, "float32": 1e-7},
        ),
        EdgeGroup(
            "exploitability_invalid_strategies",
            _exploitability_vs_uniform,
            args=STRATEGIES,
            expected=[_strategy_oracle(*x) for x in STRATEGIES],
            rtol={"float64": 1e-14, "float32": 1e-6},
            atol={"float64": 1e-15, "float32": 1e-7},
        ),
        EdgeGroup(
            "logit_value_one_row",
            _logit_row,
            args=LOGIT_CASES,
            expected=[_logit_oracle(*c, 1.0) for c in LOGIT_CASES],
            rtol={"float64": 1e-12, "float32": 1e-5},
            atol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "logit_value_one_column",
            _logit_col,
            args=LOGIT_CASES,
            expected=[_logit_oracle(*c, -1.0) for c in LOGIT_CASES],
            rtol={"float64": 1e-12, "float32": 1e-5},
            atol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "logit_value_temperature_gradient",
            _logit_row_dt,
            args=LOGIT_GRAD_CASES,
            expected=[_mp_entropy_softmax(c[:3], c[3]) for c in LOGIT_GRAD_CASES],
            rtol={"float64": 1e-10, "float32": 1e-4},
            atol={"float64": 1e-13, "float32": 1e-6},
        ),
    ]
    + [
        EdgeGroup(
            f"{name}_stays_at_saddle_and_at_rate_zero",
            _make_solver_fn(make),
            args=SOLVER_CASES,
            expected=[_solver_oracle(*c) for c in SOLVER_CASES],
            rtol={"float64": 1e-12, "float32": 1e-5},
            atol={"float64": 1e-14, "float32": 1e-6},
        )
        for name, make in SOLVERS_BY_RATE.items()
    ]
    + [
        EdgeGroup(
            "minimax_loss_d_saturated",
            _minimax_d,
            args=LOGIT_PAIRS,
            expected=[_mp_softplus(-r) + _mp_softplus(f) for r, f in LOGIT_PAIRS],
            rtol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "minimax_loss_d_gradient_real",
            _minimax_d_grad_real,
            args=LOGIT_PAIRS,
            expected=[-_mp_sigmoid(-r) for r, f in LOGIT_PAIRS],
            rtol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "non_saturating_loss_g_saturated",
            _non_saturating_g,
            args=LOGIT_PAIRS,
            expected=[_mp_softplus(-f) for r, f in LOGIT_PAIRS],
            rtol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "f_gan_jensen_shannon_d_saturated",
            _js_d,
            args=LOGIT_PAIRS,
            # the generator's JS (half Nowozin's): d_loss = (softplus(-r) + softplus(f))/2 - log 2
            expected=[
                0.5 * (_mp_softplus(-r) + _mp_softplus(f)) - math.log(2) for r, f in LOGIT_PAIRS
            ],
            rtol={"float64": 1e-13, "float32": 1e-6},
            atol={"float64": 1e-15, "float32": 1e-6},
        ),
        EdgeGroup(
            "f_gan_reverse_kl_d",
            _reverse_kl_d,
            args=REVERSE_KL_PAIRS,
            expected=[_reverse_kl_oracle(r, f) for r, f in REVERSE_KL_PAIRS],
            rtol={"float64": 1e-14, "float32": 1e-6},
            atol={"float64": 1e-15, "float32": 1e-6},
        ),
        EdgeGroup(
            "minimax_loss_weights",
            _weighted_minimax_d,
            args=[(w,) for w in WEIGHTS],
            expected=[_weighted_oracle(w) for w in WEIGHTS],
            rtol={"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "solve_matrix_game_value_vs_linprog",
            _random_value,
            args=RANDOM_GAMES,
            expected=LP_VALUES,
            rtol={"float64": 1e-9, "float32": 1e-5},
            atol={"float64": 1e-9, "float32": 1e-5},
        ),
        EdgeGroup(
            "solve_matrix_game_gap_random",
            _random_gap,
            args=RANDOM_GAMES,
            expected=[0.0] * len(RANDOM_GAMES),
            rtol={"float64": 0.0, "float32": 0.0},
            # (m + n) eps max|A| with max|A| < 4
            atol={"float64": 9 * 4 * 2.3e-16, "float32": 9 * 4 * 1.2e-7},
        ),
    ]
)


@pytest.mark.parametrize(
    ("group", "dtype"),
    [pytest.param(g, d, id=f"{g.name}-{d}") for g in EDGE_GROUPS for d in g.rtol],
)
def test_edges(group, dtype):
    assert_edges(group, dtype)
