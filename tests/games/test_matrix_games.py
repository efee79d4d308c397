"""Matrix games: invariances (Hypothesis), known equilibria, LP reference, regret identity,
Danskin's theorem, logit equilibria with implicit differentiation, exploitability."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from hypothesis import example, given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath import games as gg

M, N = 4, 5
_solve = jax.jit(lambda A: gg.solve_matrix_game(A, tolerance=1e-12))  # one compile per shape


def _value(A):
    return float(_solve(jnp.asarray(A)).value)


def _lp_value(A):
    """Reference: min t s.t. A^T x <= t 1, sum x = 1, x >= 0 (scipy HiGHS)."""
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = 1.0
    A_ub = np.hstack([A.T, -np.ones((n, 1))])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    res = scipy.optimize.linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(n),
        A_eq=A_eq,
        b_eq=[1.0],
        bounds=[(0, None)] * m + [(None, None)],
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    assert res.success
    return res.fun


matrices = gt.finite_arrays(shape=(M, N), min_value=-10.0, max_value=10.0)


def _atol(A):
    return 1e-9 * (1.0 + float(np.max(np.abs(A))))


@given(A=matrices)
# payoffs 1e-6 apart: a small simplex pivot left the tableau's solution 6e-11 off the
# equilibrium (gap 6e-11 > 1e-12); the basis re-solved from the data certifies gap 0
@example(
    A=np.array(
        [[0, -1, -1, -1, -1], [0, -1, -1, -1, -1], [-1, 1e-6, -1, -1, -1.0], [-1, 0, -1, -1, -1]]
    )
)
def test_certified_and_agrees_with_linear_programming(A):
    sol = _solve(jnp.asarray(A))
    assert bool(sol.converged)
    assert float(sol.gap) <= 1e-12 * (1 + np.max(np.abs(A)))
    np.testing.assert_allclose(float(jnp.sum(sol.x)), 1.0, rtol=1e-14)
    assert bool(jnp.all(sol.x >= 0)) and bool(jnp.all(sol.y >= 0))
    np.testing.assert_allclose(float(sol.value), _lp_value(A), atol=_atol(A))
    np.testing.assert_allclose(float(gg.duality_gap(A, sol.x, sol.y)), float(sol.gap), atol=1e-15)


@given(
    A=matrices,
    a=st.floats(0.1, 10.0),
    b=st.floats(-10.0, 10.0),
    perm_rows=st.permutations(range(M)),
    perm_cols=st.permutations(range(N)),
)
def test_value_invariances(A, a, b, perm_rows, perm_cols):
    v = _value(A)
    np.testing.assert_allclose(_value(a * A + b), a * v + b, atol=_atol(a * A + b))
    # transpose-negate swaps the roles: v(-A^T) = -v(A)
    sol_t = _solve(jnp.asarray(-A.T))
    np.testing.assert_allclose(float(sol_t.value), -v, atol=_atol(A))
    permuted = A[np.ix_(perm_rows, perm_cols)]
    np.testing.assert_allclose(_value(permuted), v, atol=_atol(A))
    # permuting rows/columns permutes the equilibrium
    sol = _solve(jnp.asarray(A))
    x_p = np.asarray(sol.x)[list(perm_rows)]
    y_p = np.asarray(sol.y)[list(perm_cols)]
    assert float(gg.duality_gap(permuted, x_p, y_p)) <= _atol(A)


@given(B=gt.finite_arrays(shape=(M, M), min_value=-10.0, max_value=10.0))
def test_skew_symmetric_value_is_zero(B):
    S = B - B.T
    np.testing.assert_allclose(
        float(_solve(jnp.asarray(S)).value),
        0.0,
        atol=_atol(S),
    )


RPS = jnp.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
BIASED_RPS = jnp.array([[0.0, -0.25, 0.5], [0.25, 0.0, -0.05], [-0.5, 0.05, 0.0]])


def test_known_equilibria():
    a, b, c, d = 3.0, -1.0, -2.0, 1.0
    two = jnp.array([[a, b], [c, d]])
    pennies = jnp.array([[1.0, -1.0], [-1.0, 1.0]])
    p = (d - c) / (a - b - c + d)
    q = (d - b) / (a - b - c + d)
    games = [
        (RPS, np.full(3, 1 / 3), np.full(3, 1 / 3), 0.0),
        (BIASED_RPS, np.array([1, 10, 5]) / 16, np.array([1, 10, 5]) / 16, 0.0),
        (pennies, np.full(2, 0.5), np.full(2, 0.5), 0.0),
        (two, np.array([p, 1 - p]), np.array([q, 1 - q]), (a * d - b * c) / (a - b - c + d)),
    ]
    for A, x, y, v in games:
        sol = _solve(A)
        assert bool(sol.converged)
        np.testing.assert_allclose(sol.x, x, atol=1e-12)
        np.testing.assert_allclose(sol.y, y, atol=1e-12)
        np.testing.assert_allclose(float(sol.value), v, atol=1e-12)


@pytest.mark.parametrize("method", ["extragradient", "omwu", "rm+", "fictitious_play"])
def test_iterative_methods_certify_biased_rps(method):
    sol = gg.solve_matrix_game(BIASED_RPS, method=method, tolerance=1e-12, max_iterations=20_000)
    assert bool(sol.converged) and float(sol.gap) <= 1e-12
    np.testing.assert_allclose(sol.x, np.array([1, 10, 5]) / 16, atol=1e-11)


@pytest.mark.parametrize("method", ["extragradient", "omwu", "rm+", "fictitious_play"])
def test_regret_identity(method):
    A = np.random.default_rng(0).normal(size=(M, N))
    T = 60
    xs, ys = gg.play_matrix_game(jnp.asarray(A), method=method, num_steps=T)
    xs, ys = np.asarray(xs), np.asarray(ys)
    played = np.einsum("ti,ij,tj->", xs, A, ys)
    regret_x = played - np.min(A @ ys.sum(0))
    regret_y = np.max(xs.sum(0) @ A) - played
    gap = float(gg.duality_gap(A, xs.mean(0), ys.mean(0)))
    np.testing.assert_allclose(T * gap, regret_x + regret_y, rtol=1e-12)


def test_danskin_gradient_matches_finite_differences_of_lp():
    A = np.random.default_rng(5).normal(size=(M, N))
    grad = np.asarray(jax.jit(jax.grad(gg.matrix_game_value))(jnp.asarray(A)))
    sol = gg.solve_matrix_game(A, tolerance=1e-13)
    np.testing.assert_allclose(grad, np.outer(sol.x, sol.y), rtol=1e-12)
    h = 1e-6
    fd = np.zeros_like(A)
    for i in range(M):
        for j in range(N):
            E = np.zeros_like(A)
            E[i, j] = h
            fd[i, j] = (_lp_value(A + E) - _lp_value(A - E)) / (2 * h)
    np.testing.assert_allclose(grad, fd, atol=1e-6)


def test_batched_solve_jit_vmap_matches_loop():
    As = jax.random.normal(jax.random.key(1), (3, M, N))
    batched = jax.jit(jax.vmap(lambda A: gg.solve_matrix_game(A, tolerance=1e-12)))(As)
    for i in range(3):
        single = _solve(As[i])
        np.testing.assert_allclose(batched.value[i], single.value, atol=1e-13)
        np.testing.assert_allclose(batched.x[i], single.x, atol=1e-13)
    assert bool(jnp.all(batched.converged))


def test_float32_in_float32_out():
    A = jax.random.normal(jax.random.key(2), (M, N), jnp.float32)
    sol = gg.solve_matrix_game(A, tolerance=1e-5)
    assert sol.x.dtype == sol.y.dtype == sol.value.dtype == sol.gap.dtype == jnp.float32
    assert float(sol.gap) < 1e-5


def test_float32_certificate_bounds_the_exact_value():
    """float32 20x20 games: the returned gap certifies |value - v(A)| <= gap (v(A) from the
    float64 solve of the same float32 matrix), up to the float32 rounding of x^T A y itself;
    with the re-solved final basis the gap is at float32's rounding floor for almost all."""
    As = jax.random.normal(jax.random.key(7), (200, 20, 20), jnp.float32)
    sol, exact = jax.jit(  # both solves in one compile
        lambda B: (
            jax.vmap(lambda A: gg.solve_matrix_game(A, tolerance=1e-6))(B),
            jax.vmap(lambda A: gg.solve_matrix_game(A, tolerance=1e-12))(B.astype(jnp.float64)),
        )
    )(As)
    rounding = 40 * np.finfo(np.float32).eps * np.max(np.abs(np.asarray(As)), axis=(1, 2))
    err = np.abs(np.asarray(sol.value, np.float64) - np.asarray(exact.value))
    assert np.all(err <= np.asarray(sol.gap, np.float64) + rounding)
    assert np.all(np.asarray(exact.gap) < 1e-12)
    assert np.mean(np.asarray(sol.converged)) >= 0.98  # 0.94 when read from the tableau


def test_bad_input():
    with pytest.raises(ValueError, match="non-finite"):
        gg.solve_matrix_game(jnp.array([[1.0, jnp.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="matrix"):
        gg.solve_matrix_game(jnp.ones(3))
    with pytest.raises(ValueError, match="method"):
        gg.solve_matrix_game(jnp.eye(2), method="bogus")
    with pytest.raises(ValueError, match="duality_gap"):
        gg.duality_gap(jnp.eye(2), jnp.ones(3) / 3, jnp.ones(2) / 2)


# --- logit (quantal response) equilibria ------------------------------------------------

A_LOGIT = jnp.asarray(np.random.default_rng(11).normal(size=(3, 4)))
_logit = jax.jit(lambda A, t: gg.logit_equilibrium(A, temperature=t))


def test_logit_equilibrium_fixed_point_and_limit():
    eq = _logit(A_LOGIT, 0.3)
    assert bool(eq.converged)
    np.testing.assert_allclose(eq.x, jax.nn.softmax(-(A_LOGIT @ eq.y) / 0.3), rtol=1e-12)
    np.testing.assert_allclose(eq.y, jax.nn.softmax((eq.x @ A_LOGIT) / 0.3), rtol=1e-12)
    # small temperature: close to Nash, duality gap O(tau log n)
    cold = _logit(A_LOGIT, 0.01)
    assert float(gg.duality_gap(A_LOGIT, cold.x, cold.y)) <= 2 * 0.01 * np.log(4)


def test_logit_equilibrium_implicit_gradients():
    def first_x(A, t):
        return _logit(A, t).x[0]

    gA, gt_ = jax.grad(first_x, argnums=(0, 1))(A_LOGIT, 0.3)
    h = 1e-6
    for i, j in [(0, 0), (1, 2), (2, 3)]:
        E = jnp.zeros((3, 4)).at[i, j].set(h)
        fd = (first_x(A_LOGIT + E, 0.3) - first_x(A_LOGIT - E, 0.3)) / (2 * h)
        np.testing.assert_allclose(gA[i, j], fd, rtol=1e-6, atol=1e-9)
    fd_t = (first_x(A_LOGIT, 0.3 + h) - first_x(A_LOGIT, 0.3 - h)) / (2 * h)
    np.testing.assert_allclose(gt_, fd_t, rtol=1e-6)
    # envelope theorem: d value / dA = x y^T
    eq = _logit(A_LOGIT, 0.3)
    g_value = jax.grad(lambda A: _logit(A, 0.3).value)(A_LOGIT)
    np.testing.assert_allclose(g_value, np.outer(eq.x, eq.y), rtol=1e-10)


def test_logit_equilibrium_vmap():
    As = jax.random.normal(jax.random.key(3), (2, 3, 4))
    batched = jax.jit(jax.vmap(lambda A: gg.logit_equilibrium(A, temperature=0.3)))(As)
    for i in range(2):
        np.testing.assert_allclose(batched.x[i], _logit(As[i], 0.3).x, atol=1e-12)


# --- exploitability ---------------------------------------------------------------------


def test_exploitability_two_player_is_duality_gap():
    A = np.random.default_rng(2).normal(size=(3, 4))
    x = np.array([0.2, 0.5, 0.3])
    y = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(
        float(gg.exploitability(np.stack([A, -A]), [x, y])),
        float(gg.duality_gap(A, x, y)),
        rtol=1e-12,
    )


def test_exploitability_three_players_brute_force():
    rng = np.random.default_rng(4)
    costs = rng.normal(size=(3, 2, 3, 2))
    s = [np.array([0.3, 0.7]), np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.4])]
    joint = np.einsum("a,b,c->abc", *s)
    expected = 0.0
    for i in range(3):
        u = np.sum(costs[i] * joint)
        best = np.inf
        for a in range(costs.shape[1 + i]):
            pure = [si.copy() for si in s]
            pure[i] = np.eye(costs.shape[1 + i])[a]
            best = min(best, np.sum(costs[i] * np.einsum("a,b,c->abc", *pure)))
        expected += u - best
    np.testing.assert_allclose(float(gg.exploitability(costs, s)), expected, rtol=1e-12)


# --- regression: trace-safe input checks, invalid strategies, reachable tolerances -----------

RPS_NP = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])


def test_closed_over_matrix_under_jit():
    # reproducer: jax.jit(lambda: gg.solve_matrix_game(A))() raised TracerBoolConversionError
    # (A as a jit argument and under vmap: test_batched_solve_jit_vmap_matches_loop and
    # test_logit_equilibrium_vmap)
    A = RPS_NP
    # every entry point closing over the matrix, in one jitted function (one compile)
    sol, value, game_value, eq, (xs, ys) = jax.jit(
        lambda: (
            gg.solve_matrix_game(jnp.asarray(RPS_NP)),
            gg.solve_matrix_game(A).value,
            gg.matrix_game_value(A),
            gg.logit_equilibrium(A, temperature=0.5),
            gg.play_matrix_game(A, num_steps=3),
        )
    )()
    np.testing.assert_allclose(sol.x, np.full(3, 1 / 3), atol=1e-15)
    np.testing.assert_allclose(float(value), 0, atol=1e-15)
    np.testing.assert_allclose(float(game_value), 0.0, atol=1e-15)
    np.testing.assert_allclose(eq.x, np.full(3, 1 / 3), atol=1e-15)  # symmetric game
    np.testing.assert_allclose(xs, np.full((3, 3), 1 / 3), atol=1e-15)  # uniform is a rest point


def test_traced_non_finite_matrix_is_nan_and_raises_in_checks_mode():
    bad = jnp.asarray(RPS_NP).at[0, 1].set(jnp.inf)
    sol = jax.jit(gg.solve_matrix_game)(bad)
    assert np.all(np.isnan(sol.x)) and np.isnan(float(sol.value)) and np.isnan(float(sol.gap))
    assert not bool(sol.converged)
    xs, _ = jax.jit(lambda B: gg.play_matrix_game(B, num_steps=2))(bad)
    assert np.all(np.isnan(xs))
    with gmath.config.checks(True):
        with pytest.raises(Exception, match="non-finite"):
            jax.block_until_ready(jax.jit(lambda B: gg.solve_matrix_game(B))(bad))
    with pytest.raises(ValueError, match="non-finite"):  # concrete, closed over: at trace time
        jax.jit(lambda: gg.solve_matrix_game(np.asarray(bad)))()


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([-0.5, 1.0, 0.5], [1 / 3, 1 / 3, 1 / 3]),  # negative entry
        ([1.0, 1.0, 1.0], [1 / 3, 1 / 3, 1 / 3]),  # sums to 3
        ([0.2, 0.5, 0.3], [0.5, 0.5, 0.5]),  # y sums to 1.5
        ([0.2, 0.5, 0.2999], [1 / 3, 1 / 3, 1 / 3]),  # off by 1e-4, more than rounding
        ([np.nan, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]),
    ],
)
def test_duality_gap_of_invalid_strategies_is_nan(x, y):
    # reproducer: duality_gap(A, x, y) with x off the simplex returned 0
    x, y = np.asarray(x), np.asarray(y)
    assert np.isnan(float(gg.duality_gap(RPS_NP, x, y)))
    assert np.isnan(float(jax.jit(gg.duality_gap)(RPS_NP, x, y)))
    assert np.isnan(float(gg.exploitability(np.stack([RPS_NP, -RPS_NP]), [x, y])))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="mixed strategies"):
            gg.duality_gap(RPS_NP, x, y)
        with pytest.raises(gmath.config.InvalidParameterError, match="mixed strategies"):
            gg.exploitability(np.stack([RPS_NP, -RPS_NP]), [x, y])


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_duality_gap_accepts_rounded_strategies(dtype):
    # strategies whose sum is one only up to rounding (a softmax) are valid: gap >= 0
    # (whether a softmax's own sum rounds to exactly 1 depends on the compiled code: the
    # strategy is scaled by 1 + 4 eps, a rounding-sized excess that no summation removes)
    x = jax.nn.softmax(jnp.arange(101, dtype=dtype) / 7) * (1 + 4 * jnp.finfo(dtype).eps)
    A = jnp.asarray(np.random.default_rng(3).normal(size=(101, 101)), dtype)
    assert float(jnp.abs(jnp.sum(x) - 1)) > 0  # the sum is off one by rounding
    assert float(gg.duality_gap(A, x, x)) >= 0


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_rock_paper_scissors_converged_at_default_and_tiny_tolerance(dtype):
    # reproducer: float32 RPS solved in 3 iterations (gap 6e-8) reported converged=False at 1e-8
    A = jnp.asarray(RPS_NP, dtype)
    eps = float(jnp.finfo(dtype).eps)
    for tol in [None, 1e-8, 0.0]:
        sol = gg.solve_matrix_game(A) if tol is None else gg.solve_matrix_game(A, tolerance=tol)
        # the certified gap is at the rounding level of its own evaluation, (m + n) eps max|A|
        assert float(sol.gap) <= 6 * eps
        assert bool(sol.converged)
        np.testing.assert_allclose(np.asarray(sol.x, np.float64), np.full(3, 1 / 3), atol=4 * eps)
    # an iterative method stops there too instead of running to max_iters
    sol = gg.solve_matrix_game(A + jnp.asarray(np.diag([0.3, 0.0, 0.1]), dtype), method="omwu")
    assert bool(sol.converged) and int(sol.num_iterations) < 100_000


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_logit_equilibrium_converged_in_both_dtypes(dtype):
    eq = gg.logit_equilibrium(jnp.asarray(A_LOGIT, dtype), temperature=0.3)
    assert bool(eq.converged)
    assert float(eq.residual) <= 100 * float(jnp.finfo(dtype).eps)


def test_logit_equilibrium_counts_its_iterations():
    # the mirror-descent loop stops at the first iterate within tolerance: bounding it by its own
    # count reproduces the run exactly, and one fewer iteration is reported as such
    eq = gg.logit_equilibrium(A_LOGIT, temperature=0.3)
    k = int(eq.num_iterations)
    assert bool(eq.converged) and 1 < k < 100_000
    same = gg.logit_equilibrium(A_LOGIT, temperature=0.3, max_iterations=k)
    assert int(same.num_iterations) == k
    np.testing.assert_array_equal(same.x, eq.x)
    np.testing.assert_array_equal(same.y, eq.y)
    short = gg.logit_equilibrium(A_LOGIT, temperature=0.3, max_iterations=k - 1)
    assert int(short.num_iterations) == k - 1


def test_logit_temperature_validation():
    # concrete temperature <= 0: ValueError, also when closed over by jit
    with pytest.raises(ValueError, match="temperature"):
        gg.logit_equilibrium(RPS_NP, temperature=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        jax.jit(lambda: gg.logit_equilibrium(RPS_NP, temperature=0.0))()
    # traced: NaN, an error in checks mode
    eq = jax.jit(lambda t: gg.logit_equilibrium(RPS_NP, temperature=t))(-1.0)
    assert np.all(np.isnan(eq.x)) and np.isnan(float(eq.value)) and not bool(eq.converged)
    with gmath.config.checks(True):
        with pytest.raises(Exception, match="temperature must be positive"):
            jax.block_until_ready(
                jax.jit(lambda t: gg.logit_equilibrium(RPS_NP, temperature=t))(0.0)
            )


def test_tolerance_validation():
    with pytest.raises(ValueError, match="tolerance"):
        gg.solve_matrix_game(RPS_NP, tolerance=-1e-3)
    with pytest.raises(ValueError, match="tolerance"):
        gg.matrix_game_value(RPS_NP, tolerance=-1e-3)
    with pytest.raises(ValueError, match="tolerance"):
        gg.logit_equilibrium(RPS_NP, temperature=1.0, tolerance=-1.0)
    sol = jax.jit(lambda t: gg.solve_matrix_game(RPS_NP, tolerance=t))(-1.0)
    assert np.isnan(float(sol.value)) and not bool(sol.converged)
    with gmath.config.checks(True):
        with pytest.raises(Exception, match="tolerance must be non-negative"):
            jax.block_until_ready(
                jax.jit(lambda t: gg.solve_matrix_game(RPS_NP, tolerance=t))(-1.0)
            )
    with pytest.raises(ValueError, match="num_steps"):
        gg.play_matrix_game(RPS_NP, num_steps=-1)
    with pytest.raises(ValueError, match="method"):
        gg.play_matrix_game(RPS_NP, method="simplex")
