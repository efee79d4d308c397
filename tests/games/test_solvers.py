"""Game solvers against closed forms: bilinear spectral radii,
CGD = proximal point, kernels of singular games, quadratic saddles, optax composition."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gmath
import gmath.testing as gt
from gmath import games as gg

from _solvers import SOLVERS_BY_RATE

# A bilinear game x^T A y with known singular values.
_U, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
_V, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
SINGULAR = np.array([0.5, 1.0, 1.7])
A3 = jnp.asarray(_U @ np.diag(SINGULAR) @ _V.T)
BILINEAR = gg.ZeroSumGame(lambda x, y: x @ A3 @ y)
ZERO = (jnp.zeros(3), jnp.zeros(3))
ETA = 0.25


def _consensus_radius(eta, gamma, s):
    return np.abs(1 - eta * gamma * s**2 + 1j * eta * s)


def _lookahead_radius(eta, k, alpha, s):
    mu = 1 + 1j * eta * s
    return np.abs(1 - alpha + alpha * mu**k) ** (1 / k)


a = ETA * SINGULAR
CASES = {
    "gda": (gg.gda(learning_rate=ETA), np.sqrt(1 + a**2), 1),
    "gda_alternating": (gg.gda(learning_rate=ETA, alternating=True), np.ones_like(a), 1),
    "extragradient": (gg.extragradient(learning_rate=ETA), np.sqrt(1 - a**2 + a**4), 1),
    "optimistic_gda": (
        gg.optimistic_gda(learning_rate=ETA),
        np.sqrt((1 + np.sqrt(1 - 4 * a**2)) / 2),
        1,
    ),
    "proximal_point": (
        gg.proximal_point(learning_rate=ETA, inner_steps=1),
        1 / np.sqrt(1 + a**2),
        1,
    ),
    "cgd": (gg.cgd(learning_rate=ETA), 1 / np.sqrt(1 + a**2), 1),
    "consensus": (
        gg.consensus(learning_rate=ETA, gamma=0.7),
        _consensus_radius(ETA, 0.7, SINGULAR),
        1,
    ),
    "sga": (gg.sga(learning_rate=ETA, lam=0.7), _consensus_radius(ETA, 0.7, SINGULAR), 1),
    # LOLA on a zero-sum bilinear game = consensus with gamma = 2 * lookahead_rate (derived in
    # the docstring of gg.lola).
    "lola": (
        gg.lola(learning_rate=ETA, lookahead_rate=0.3),
        _consensus_radius(ETA, 0.6, SINGULAR),
        1,
    ),
    "hamiltonian": (gg.hamiltonian(learning_rate=ETA), np.abs(1 - ETA * SINGULAR**2), 1),
    "lookahead_gda": (
        gg.lookahead(gg.gda(learning_rate=ETA), sync_period=4, alpha=0.5),
        _lookahead_radius(ETA, 4, 0.5, SINGULAR),
        4,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_linearized_rate_matches_bilinear_formula(name):
    solver, per_mode, period = CASES[name]
    rate = gg.linearized_rate(solver, BILINEAR, ZERO, period=period)
    np.testing.assert_allclose(float(rate), per_mode.max(), rtol=1e-10)


# Observed contraction: with A = s I every mode has the same rate and, the step matrix being
# normal, ||z_k|| = rho^k ||z_0|| exactly.
S_ISO = 1.3
ISO = gg.ZeroSumGame(lambda x, y: S_ISO * jnp.vdot(x, y))
Z0 = (jnp.array([1.0, -0.5]), jnp.array([0.3, 0.8]))
_aa = ETA * S_ISO
OBSERVED = {
    "gda": (gg.gda(learning_rate=ETA), np.sqrt(1 + _aa**2)),
    "extragradient": (gg.extragradient(learning_rate=ETA), np.sqrt(1 - _aa**2 + _aa**4)),
    "proximal_point": (
        gg.proximal_point(learning_rate=ETA, inner_steps=1),
        1 / np.sqrt(1 + _aa**2),
    ),
    "cgd": (gg.cgd(learning_rate=ETA), 1 / np.sqrt(1 + _aa**2)),
    "consensus": (gg.consensus(learning_rate=ETA, gamma=0.7), _consensus_radius(ETA, 0.7, S_ISO)),
    "hamiltonian": (gg.hamiltonian(learning_rate=ETA), abs(1 - ETA * S_ISO**2)),
}


def _norm(z):
    return float(jnp.sqrt(sum(jnp.sum(u**2) for u in z)))


@pytest.mark.parametrize("name", sorted(OBSERVED))
def test_observed_contraction_matches_rate(name):
    solver, rho = OBSERVED[name]
    predicted = gg.linearized_rate(solver, ISO, (jnp.zeros(2), jnp.zeros(2)))
    np.testing.assert_allclose(float(predicted), rho, rtol=1e-10)
    state, trace = gg.solve(ISO, solver, Z0, num_steps=20)
    observed = (_norm(state.players) / _norm(Z0)) ** (1 / 20)
    np.testing.assert_allclose(observed, rho, rtol=1e-10)


def test_optimistic_observed_contraction():
    # OGDA's augmented step matrix is not normal: compare the rate over a late window.
    solver = gg.optimistic_gda(learning_rate=ETA)
    rho = np.sqrt((1 + np.sqrt(1 - 4 * _aa**2)) / 2)
    _, trace = gg.solve(ISO, solver, Z0, num_steps=160)
    g = np.asarray(trace.grad_norm)  # ||v(z_k)|| = S_ISO ||z_k||
    observed = (g[159] / g[79]) ** (1 / 80)
    np.testing.assert_allclose(observed, rho, rtol=1e-6)


def test_cgd_equals_proximal_point_on_bilinear():
    z0 = (jnp.array([1.0, -2.0, 0.5]), jnp.array([0.3, 0.1, -1.0]))
    s1, _ = gg.solve(BILINEAR, gg.cgd(learning_rate=0.7), z0, num_steps=15)
    s2, _ = gg.solve(
        BILINEAR, gg.proximal_point(learning_rate=0.7, inner_steps=1), z0, num_steps=15
    )
    gt.assert_allclose(s1.players, s2.players, rtol=1e-10, atol=1e-13)


# Singular, non-square A: x in R^3, y in R^4, rank 2.
_Us, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 2)))
_Vs, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(4, 2)))
A_SING = jnp.asarray(_Us @ np.diag([1.0, 0.6]) @ _Vs.T)
SINGULAR_GAME = gg.ZeroSumGame(lambda x, y: x @ A_SING @ y)


@pytest.mark.parametrize(
    "solver",
    [
        gg.extragradient(learning_rate=0.5),
        gg.optimistic_gda(learning_rate=0.5),
        gg.proximal_point(learning_rate=2.0, inner_steps=1),
        gg.cgd(learning_rate=2.0),
    ],
    ids=["extragradient", "optimistic_gda", "proximal_point", "cgd"],
)
def test_singular_game_converges_to_projection_onto_kernel(solver):
    x0 = jnp.array([1.0, -1.0, 2.0])
    y0 = jnp.array([0.5, 0.3, -0.7, 1.1])
    A = np.asarray(A_SING)
    px = np.eye(3) - A @ np.linalg.pinv(A)  # projector onto ker A^T
    py = np.eye(4) - np.linalg.pinv(A) @ A  # projector onto ker A
    state, trace = gg.solve(SINGULAR_GAME, solver, (x0, y0), num_steps=600)
    np.testing.assert_allclose(state.x, px @ np.asarray(x0), atol=1e-9)
    np.testing.assert_allclose(state.y, py @ np.asarray(y0), atol=1e-9)
    assert not bool(trace.diverged)


# Quadratic game f = x'Px/2 + x'By - y'Qy/2 + b'x - c'y
_r = np.random.default_rng(7)
_M = _r.normal(size=(2, 2))
P = jnp.asarray(_M @ _M.T + np.eye(2))
_N = _r.normal(size=(3, 3))
Q = jnp.asarray(_N @ _N.T + np.eye(3))
BQ = jnp.asarray(_r.normal(size=(2, 3)))
bq = jnp.asarray(_r.normal(size=2))
cq = jnp.asarray(_r.normal(size=3))


def quadratic(x, y):
    return 0.5 * x @ P @ x + x @ BQ @ y - 0.5 * y @ Q @ y + bq @ x - cq @ y


QUAD = gg.ZeroSumGame(quadratic)
KKT = np.block([[P, BQ], [BQ.T, -Q]])
SADDLE = np.linalg.solve(KKT, np.concatenate([-bq, cq]))
JQ = np.block([[P, BQ], [-BQ.T, Q]])


@pytest.mark.parametrize(
    "solver",
    [
        gg.gda(learning_rate=0.05),
        gg.gda(learning_rate=0.05, alternating=True),
        gg.extragradient(learning_rate=0.1),
        gg.optimistic_gda(learning_rate=0.05),
        gg.proximal_point(learning_rate=1.0, inner_steps=1),
        gg.cgd(learning_rate=0.3),
        gg.consensus(learning_rate=0.05, gamma=0.3),
        gg.follow_the_ridge(learning_rate=0.05),
        gg.lookahead(gg.extragradient(learning_rate=0.1)),
    ],
    ids=[
        "gda",
        "gda_alt",
        "eg",
        "ogda",
        "pp",
        "cgd",
        "consensus",
        "ridge",
        "lookahead",
    ],
)
def test_quadratic_game_reaches_the_saddle(solver):
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    state, trace = gg.solve(QUAD, solver, z0, num_steps=3000, tolerance=1e-11)
    np.testing.assert_allclose(np.concatenate(state.players), SADDLE, atol=1e-8)
    assert bool(trace.converged) and not bool(trace.diverged)


def test_gda_error_recursion_and_rate_on_quadratic():
    eta = 0.07
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    state, _ = gg.solve(QUAD, gg.gda(learning_rate=eta), z0, num_steps=1)
    e0 = np.concatenate(z0) - SADDLE
    np.testing.assert_allclose(
        np.concatenate(state.players) - SADDLE, (np.eye(5) - eta * JQ) @ e0, rtol=1e-12
    )
    rate = gg.linearized_rate(gg.gda(learning_rate=eta), QUAD, (SADDLE[:2], SADDLE[2:]))
    expected = np.max(np.abs(np.linalg.eigvals(np.eye(5) - eta * JQ)))
    np.testing.assert_allclose(float(rate), expected, rtol=1e-10)


def test_follow_the_ridge_rate_matches_closed_form():
    # FR step Jacobian at the saddle, written out: x' = x - ex gx, y' = y + ey gy + ex Q^-1 B' gx
    ex, ey = 0.05, 0.1
    Pn, Qn, Bn = np.asarray(P), np.asarray(Q), np.asarray(BQ)
    dgx = np.hstack([Pn, Bn])  # d(grad_x f)/dz
    dgy = np.hstack([Bn.T, -Qn])  # d(grad_y f)/dz
    Hyy_inv_Hyx = np.linalg.solve(-Qn, Bn.T)
    top = np.eye(2, 5) - ex * dgx
    bottom = np.eye(3, 5, 2) + ey * dgy + ex * Hyy_inv_Hyx @ dgx
    expected = np.max(np.abs(np.linalg.eigvals(np.vstack([top, bottom]))))
    solver = gg.follow_the_ridge(learning_rate=(ex, ey))
    rate = gg.linearized_rate(solver, QUAD, (SADDLE[:2], SADDLE[2:]))
    np.testing.assert_allclose(float(rate), expected, rtol=1e-10)


# --- optax composition --------------------------------------------------------------------


def test_optax_sgd_equals_plain_learning_rate():
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    s1, _ = gg.solve(QUAD, gg.extragradient(learning_rate=(0.1, 0.2)), z0, num_steps=5)
    opt = (optax.sgd(0.1), optax.sgd(0.2))
    s2, _ = gg.solve(QUAD, gg.extragradient(optimizer=opt), z0, num_steps=5)
    gt.assert_allclose(s1.players, s2.players, rtol=1e-13)


# optax's adam computes ``decay**count`` with an int32 count, which strict dtype promotion
# rejects (an optax limitation, not gmath's): these two tests run under standard promotion.


def test_extra_adam_reaches_the_saddle():
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    with jax.numpy_dtype_promotion("standard"):
        schedule = optax.exponential_decay(0.05, transition_steps=300, decay_rate=0.5)
        solver = gg.extragradient(optimizer=optax.adam(schedule))
        state, trace = gg.solve(QUAD, solver, z0, num_steps=3000)
    # Adam's normalised steps only settle as its step size decays: the error shrinks 1000-fold
    error0 = np.linalg.norm(np.concatenate(z0) - SADDLE)
    error = np.linalg.norm(np.concatenate(state.players) - SADDLE)
    assert error < 1e-3 * error0


def test_extra_adam_matches_hand_written():
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    adam = optax.adam(0.05)
    with jax.numpy_dtype_promotion("standard"):
        state, _ = gg.solve(QUAD, gg.extragradient(optimizer=adam), z0, num_steps=4)
        expected = jax.jit(lambda z: _hand_extra_adam(adam, z))(z0)  # one compile, not per op
    gt.assert_allclose(state.players, expected, rtol=1e-12)


def _hand_extra_adam(adam, z0):
    x, y = z0
    sx, sy = adam.init(x), adam.init(y)
    gradf = jax.grad(quadratic, argnums=(0, 1))
    for _ in range(4):
        gx, gy = gradf(x, y)
        ux, sx = adam.update(gx, sx, x)
        uy, sy = adam.update(-gy, sy, y)
        xh, yh = x + ux, y + uy
        gx, gy = gradf(xh, yh)
        ux, sx = adam.update(gx, sx, x)
        uy, sy = adam.update(-gy, sy, y)
        x, y = x + ux, y + uy
    return (x, y)


def test_learning_rate_schedule():
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    s1, _ = gg.solve(QUAD, gg.gda(learning_rate=optax.constant_schedule(0.05)), z0, num_steps=3)
    s2, _ = gg.solve(QUAD, gg.gda(learning_rate=0.05), z0, num_steps=3)
    gt.assert_allclose(s1.players, s2.players, rtol=1e-14)


# --- driver: divergence, pytrees, n players, vmap, dtype ---------------------------------


def test_divergence_is_reported_not_silent_nan():
    state, trace = gg.solve(
        BILINEAR, gg.gda(learning_rate=1e3), ZERO[:1] + (jnp.ones(3),), num_steps=300
    )
    assert bool(trace.diverged)
    assert all(bool(jnp.all(jnp.isfinite(u))) for u in state.players)
    assert int(trace.num_iterations) < 300


def test_pytree_players_and_n_player_game():
    # three players on a ring, each pays the product with its neighbour: a general-sum Game
    def loss(i):
        return lambda a, b, c: (
            0.5 * [a, b, c][i]["w"] ** 2 + [a, b, c][i]["w"] * [a, b, c][(i + 1) % 3]["w"]
        )

    game = gg.Game([loss(0), loss(1), loss(2)])
    z0 = tuple({"w": jnp.asarray(v)} for v in (1.0, -0.5, 0.25))
    state, trace = gg.solve(game, gg.extragradient(learning_rate=0.2), z0, num_steps=400)
    assert all(abs(float(p["w"])) < 1e-8 for p in state.players)
    state, _ = gg.solve(game, gg.lola(learning_rate=0.1), z0, num_steps=400)
    assert all(abs(float(p["w"])) < 1e-6 for p in state.players)


def _solve_bilinear(A, x0, y0):
    game = gg.ZeroSumGame(lambda x, y: x @ A @ y)
    state, trace = gg.solve(game, gg.extragradient(learning_rate=0.2), (x0, y0), num_steps=30)
    return state.players, trace.grad_norm


def test_solve_eager_jit_vmap_consistent():
    key = jax.random.key(0)
    k1, k2, k3 = jax.random.split(key, 3)
    As = jax.random.normal(k1, (2, 2, 2))
    x0 = jax.random.normal(k2, (2, 2))
    y0 = jax.random.normal(k3, (2, 2))
    gt.assert_transform_consistent(_solve_bilinear, As, x0, y0, rtol=1e-12)


@pytest.mark.parametrize("name", ["gda", "extragradient", "cgd", "proximal_point"])
def test_float32_in_float32_out(name):
    solver = {
        "gda": gg.gda(),
        "extragradient": gg.extragradient(),
        "cgd": gg.cgd(tolerance=1e-6),
        "proximal_point": gg.proximal_point(tolerance=1e-6, inner_steps=1),
    }[name]
    z0 = (jnp.ones(2, jnp.float32), jnp.ones(3, jnp.float32))
    game = gg.ZeroSumGame(lambda x, y: 0.5 * x @ x + x @ BQ.astype(jnp.float32) @ y - 0.5 * y @ y)
    state, trace = gg.solve(game, solver, z0, num_steps=5)
    assert state.x.dtype == jnp.float32 and state.y.dtype == jnp.float32
    assert trace.grad_norm.dtype == jnp.float32


def test_bad_input():
    with pytest.raises(ValueError, match="player"):
        gg.solve(BILINEAR, gg.gda(), (jnp.zeros(3), jnp.zeros(2)), num_steps=2)
    with pytest.raises(ValueError, match="expected 2 players"):
        gg.solve(BILINEAR, gg.gda(), (jnp.zeros(3),), num_steps=2)
    with pytest.raises(ValueError, match="scalar"):
        gg.solve(
            gg.ZeroSumGame(lambda x, y: x * y), gg.gda(), (jnp.ones(2), jnp.ones(2)), num_steps=2
        )
    with pytest.raises(ValueError, match="learning_rate"):
        gg.gda(learning_rate=-1.0)
    with pytest.raises(TypeError, match="optimizer"):
        gg.gda(optimizer=object())
    with pytest.raises(ValueError, match="two-player"):
        gg.solve(
            gg.Game([lambda a, b, c: a * b * c] * 3),
            gg.cgd(),
            (1.0, 1.0, 1.0),
            num_steps=1,
        )


def test_cgd_general_sum_gmres_matches_zero_sum_cg():
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    general = gg.Game([quadratic, lambda x, y: -quadratic(x, y)])
    s1, _ = gg.solve(QUAD, gg.cgd(learning_rate=0.3), z0, num_steps=5)
    s2, _ = gg.solve(general, gg.cgd(learning_rate=0.3), z0, num_steps=5)
    gt.assert_allclose(s1.players, s2.players, rtol=1e-10)


def test_trace_gap_and_tolerance():
    A = jnp.array([[2.0, 0.0], [0.0, 1.0]])

    def gap(x, y):  # a certificate that vanishes only at the saddle (0, 0)
        return jnp.sum(x**2) + jnp.sum(y**2)

    game = gg.ZeroSumGame(lambda x, y: x @ A @ y + 0.5 * x @ x - 0.5 * y @ y)
    state, trace = gg.solve(
        game,
        gg.extragradient(learning_rate=0.2),
        (jnp.ones(2), jnp.ones(2)),
        num_steps=500,
        tolerance=1e-10,
        gap_fn=gap,
    )
    assert bool(trace.converged) and not bool(trace.diverged)
    k = int(trace.num_iterations)
    assert 0 < k < 500 and float(trace.gap[k - 1]) <= 1e-10
    assert bool(jnp.all(jnp.isnan(trace.gap[k:]))) and bool(jnp.all(jnp.isnan(trace.grad_norm[k:])))


# --- regression: num_steps = 0, singular follow-the-ridge, invalid learning rates -------------


@pytest.mark.parametrize("tol", [None, 1e-6])
def test_solve_zero_steps_returns_the_initial_state(tol):
    # reproducer: solve(game, solver, init, num_steps=0) raised IndexError (with tol)
    game = gg.ZeroSumGame(lambda x, y: x * y)
    state, trace = gg.solve(
        game,
        gg.gda(learning_rate=0.1),
        (1.0, 2.0),
        num_steps=0,
        tolerance=tol,
        gap_fn=lambda x, y: x,
    )
    assert (float(state.x), float(state.y)) == (1.0, 2.0)
    assert trace.grad_norm.shape == (0,) and trace.gap.shape == (0,)
    assert int(trace.num_iterations) == 0 and not bool(trace.diverged) and not bool(trace.converged)
    with pytest.raises(ValueError, match="num_steps"):
        gg.solve(game, gg.gda(learning_rate=0.1), (1.0, 2.0), num_steps=-1)
    with pytest.raises(ValueError, match="tolerance"):
        gg.solve(game, gg.gda(learning_rate=0.1), (1.0, 2.0), num_steps=1, tolerance=-1.0)


def test_follow_the_ridge_on_singular_hessian_is_not_diverged():
    # reproducer: follow_the_ridge reported diverged=True at step 0 on f = x y (H_yy = 0). The
    # correction uses pinv(H_yy) = 0 there, so one FR step is one GDA step.
    game = gg.ZeroSumGame(lambda x, y: x * y)
    state, trace = gg.solve(game, gg.follow_the_ridge(learning_rate=0.1), (1.0, 1.0), num_steps=1)
    assert not bool(trace.diverged) and int(trace.num_iterations) == 1
    np.testing.assert_allclose([float(state.x), float(state.y)], [0.9, 1.1], rtol=1e-15)
    # bilinear x^T A y with d = 3: FR is GDA, spiralling out at sqrt(1 + a^2) per mode, with no
    # divergence flag while the iterates stay finite
    z0 = (jnp.ones(3), jnp.ones(3))
    fr, tr = gg.solve(BILINEAR, gg.follow_the_ridge(learning_rate=ETA), z0, num_steps=20)
    gda_state, _ = gg.solve(BILINEAR, gg.gda(learning_rate=ETA), z0, num_steps=20)
    assert not bool(tr.diverged) and int(tr.num_iterations) == 20
    gt.assert_allclose(fr.players, gda_state.players, rtol=1e-12)


def test_follow_the_ridge_partly_singular_hessian_uses_the_pseudo_inverse():
    # f = x^T A y + |x|^2/2 - y_0^2/2: H_yy = -diag(1, 0, 0) is singular; the FR step
    # y + eta grad_y f + eta pinv(H_yy) H_yx grad_x f (Wang, Zhang and Ba 2020, eq. 5)
    A = np.asarray(A3)

    def f(x, y):
        return x @ A3 @ y + 0.5 * x @ x - 0.5 * y[0] ** 2

    x0, y0 = np.array([1.0, -0.5, 0.25]), np.array([0.5, 1.0, -1.0])
    gx = A @ y0 + x0
    gy = A.T @ x0 - np.array([y0[0], 0.0, 0.0])
    Hyy = -np.diag([1.0, 0.0, 0.0])
    eta = 0.1
    y1 = y0 + eta * gy + eta * np.linalg.pinv(Hyy) @ A.T @ gx
    state, trace = gg.solve(
        gg.ZeroSumGame(f), gg.follow_the_ridge(learning_rate=eta), (x0, y0), num_steps=1
    )
    assert not bool(trace.diverged)
    np.testing.assert_allclose(state.x, x0 - eta * gx, rtol=1e-14)
    np.testing.assert_allclose(state.y, y1, rtol=1e-12, atol=1e-14)


def test_divergence_flag_means_blow_up():
    # a real blow-up (GDA at a huge step on a bilinear game) is still reported
    state, trace = gg.solve(
        gg.ZeroSumGame(lambda x, y: x * y), gg.gda(learning_rate=1e100), (1.0, 1.0), num_steps=10
    )
    assert bool(trace.diverged) and 0 < int(trace.num_iterations) < 10
    assert np.isfinite(float(state.x)) and np.isfinite(float(state.y))


@pytest.mark.parametrize("name", sorted(SOLVERS_BY_RATE))
def test_traced_negative_learning_rate_is_nan_not_divergence(name):
    make = SOLVERS_BY_RATE[name]
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    run = jax.jit(lambda lr: gg.solve(QUAD, make(learning_rate=lr), z0, num_steps=3))
    state, trace = run(-0.1)
    assert all(bool(jnp.all(jnp.isnan(p))) for p in state.players)
    assert not bool(trace.diverged) and int(trace.num_iterations) == 0
    # rate 0: the identity step
    state, trace = run(0.0)
    gt.assert_allclose(state.players, z0, rtol=0)
    assert not bool(trace.diverged) and int(trace.num_iterations) == 3
    with pytest.raises(ValueError, match="learning_rate must be non-negative"):
        make(learning_rate=-0.1)


def test_negative_schedule_value_and_checks_mode():
    z0 = (jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0, -1.0]))
    state, trace = gg.solve(
        QUAD, gg.gda(learning_rate=lambda c: 0.1 - 0.1 * c.astype(float)), z0, num_steps=4
    )
    assert int(trace.num_iterations) == 2 and not bool(trace.diverged)  # rate < 0 from step 2 on
    assert bool(jnp.all(jnp.isnan(state.x)))
    assert bool(jnp.all(jnp.isfinite(trace.grad_norm[:2]))) and bool(
        jnp.all(jnp.isnan(trace.grad_norm[2:]))
    )
    with pytest.raises(ValueError, match="lookahead_rate"):
        gg.lola(lookahead_rate=-1.0)
    with gmath.config.checks(True):
        with pytest.raises(Exception, match="gda: learning_rate must be non-negative"):
            jax.block_until_ready(
                jax.jit(lambda lr: gg.solve(QUAD, gg.gda(learning_rate=lr), z0, num_steps=2))(-0.1)
            )


def test_gradient_penalty_checks_its_key():
    x = jnp.zeros((2, 2))
    with pytest.raises(TypeError, match="gradient_penalty: key"):
        gg.gradient_penalty(0, lambda u: u.sum(-1), x, x + 1)


# --- record: thinned traces and the blocked fast path agree with "full" -----------------------

_RECORD_GAME = gg.ZeroSumGame(lambda x, y: x @ A3 @ y + 0.1 * x @ x - 0.1 * y @ y)
_RECORD_CASES = {
    # converging, blowing up (the iterates overflow at step 439 of 500), and a schedule that
    # turns invalid at step 77 (NaN players, not a divergence)
    "converges": (0.1, 100),
    "diverges": (5.0, 500),
    "invalid_rate": (lambda count: jnp.where(count < 77, 0.1, -1.0), 100),
}


@pytest.mark.parametrize("case", sorted(_RECORD_CASES))
def test_record_modes_agree_with_the_full_trace(case):
    lr, n = _RECORD_CASES[case]
    solver = gg.gda(learning_rate=lr)
    z0 = (jnp.array([1.0, 2.0, -0.5]), jnp.array([0.5, -1.0, 0.25]))

    def gap(x, y):
        return x @ x + y @ y

    full, trace = gg.solve(_RECORD_GAME, solver, z0, num_steps=n, gap_fn=gap)
    assert bool(trace.diverged) == (case == "diverges")
    for record in ("none", 3, 32):
        state, thin = gg.solve(_RECORD_GAME, solver, z0, num_steps=n, gap_fn=gap, record=record)
        # the same steps in the same order (compiled in other fusions: a few ulps)
        gt.assert_allclose(state.players, full.players, rtol=1e-13)
        assert int(thin.num_iterations) == int(trace.num_iterations)
        assert bool(thin.diverged) == bool(trace.diverged) and not bool(thin.converged)
        k = 0 if record == "none" else record
        kept = np.arange(k - 1, n, k) if k else np.arange(0)
        np.testing.assert_allclose(thin.grad_norm, trace.grad_norm[kept], rtol=1e-13)
        np.testing.assert_allclose(thin.gap, trace.gap[kept], rtol=1e-13)


def test_record_with_tolerance_thins_the_trace_only():
    z0 = (jnp.ones(3), -jnp.ones(3))
    solver = gg.extragradient(learning_rate=0.3)
    full, trace = gg.solve(_RECORD_GAME, solver, z0, num_steps=400, tolerance=1e-8)
    k = int(trace.num_iterations)
    assert bool(trace.converged) and 0 < k < 400 and float(trace.grad_norm[k - 1]) <= 1e-8
    for record, kept in (("none", np.arange(0)), (5, np.arange(4, 400, 5))):
        state, thin = gg.solve(
            _RECORD_GAME, solver, z0, num_steps=400, tolerance=1e-8, record=record
        )
        np.testing.assert_array_equal(state.x, full.x)
        assert int(thin.num_iterations) == k and bool(thin.converged)
        np.testing.assert_array_equal(thin.grad_norm, trace.grad_norm[kept])


def test_record_none_gradient_float32_and_bad_input():
    def final_x(x0, record):
        state, _ = gg.solve(
            _RECORD_GAME, gg.gda(learning_rate=0.1), (x0, jnp.ones(3)), num_steps=50, record=record
        )
        return jnp.sum(state.x)

    x0 = jnp.array([1.0, 2.0, -0.5])
    gt.assert_allclose(jax.grad(final_x)(x0, "none"), jax.grad(final_x)(x0, "full"), rtol=1e-14)
    z32 = (jnp.ones(3, jnp.float32), jnp.ones(3, jnp.float32))
    game32 = gg.ZeroSumGame(lambda x, y: x @ A3.astype(jnp.float32) @ y)
    state, trace = gg.solve(game32, gg.gda(learning_rate=0.1), z32, num_steps=40, record=8)
    assert state.x.dtype == jnp.float32 and trace.grad_norm.dtype == jnp.float32
    assert trace.grad_norm.shape == (5,)
    for bad in ("some", 0, -2, 1.5, True):
        with pytest.raises(ValueError, match="record"):
            gg.solve(_RECORD_GAME, gg.gda(), (x0, x0), num_steps=2, record=bad)
