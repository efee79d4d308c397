"""The sample divergences as a new user meets them: eager calls compiled once, a relative default
epsilon, honest convergence flags in float32, lists accepted, a clean kernels namespace."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath
import gmath.divergences as gv
from gmath.divergences import _kernels
from gmath.divergences._sinkhorn import default_tolerance

from _compile import assert_second_call_compiles_nothing, count_compilations


def _cloud(seed, n, d, dtype=jnp.float64, scale=1.0, shift=0.0):
    return (scale * jax.random.normal(jax.random.key(seed), (n, d)) + shift).astype(dtype)


X = _cloud(0, 40, 2)
Y = _cloud(1, 30, 2, shift=1.0)
A = jnp.full(40, 1 / 40)
KEY = jax.random.key(3)
RBF = gv.kernels.rbf(bandwidth=1.0)


def _score(v):  # defined once: a user callable is a static option (by identity)
    return -v


EAGER_CALLS = {
    "sinkhorn": lambda: gv.sinkhorn(X, Y, epsilon=0.5),
    "sinkhorn_relative": lambda: gv.sinkhorn(X, Y, a=A, return_plan=True),
    "sinkhorn_divergence": lambda: gv.sinkhorn_divergence(X, Y, epsilon=1.0),
    "sinkhorn_divergence_unbalanced": lambda: gv.sinkhorn_divergence(
        X, Y, epsilon=1.0, tau_a=0.9, tau_b=0.9
    ),
    "sinkhorn_divergence_result": lambda: gv.sinkhorn_divergence_result(X, Y),
    "sinkhorn_divergence_grad": lambda: jax.grad(gv.sinkhorn_divergence)(X, Y, epsilon=1.0),
    "mmd_squared": lambda: gv.mmd_squared(X, Y, kernel=RBF),
    "mmd_squared_weighted": lambda: gv.mmd_squared(X, Y, kernel=RBF, estimator="biased", a=A),
    "mmd_test": lambda: gv.mmd_test(KEY, X, Y, kernel=RBF, num_permutations=20),
    "kid": lambda: gv.kid(KEY, X, Y, num_subsets=5, subset_size=20),
    "energy_distance": lambda: gv.energy_distance(X, Y),
    "energy_distance_grad": lambda: jax.grad(gv.energy_distance)(X, Y),
    "ksd_squared": lambda: gv.ksd_squared(X, _score),
    "ksd_squared_values": lambda: gv.ksd_squared(X, -X, estimator="biased", a=A),
    "sliced_wasserstein": lambda: gv.sliced_wasserstein(KEY, X, Y, num_projections=10),
    "wasserstein_1d": lambda: gv.wasserstein_1d(X[:, 0], Y[:, 0], p=2),
    "frechet_distance_squared": lambda: gv.frechet_distance_squared(X, Y),
    "frechet_distance_numpy": lambda: gv.frechet_distance_squared(np.asarray(X), np.asarray(Y)),
    "frechet_distance_grad": lambda: jax.grad(gv.frechet_distance_squared)(X, Y),
    "precision_recall": lambda: gv.precision_recall(X, Y, k=3),
    "mode_coverage": lambda: gv.mode_coverage(X, gv.ring_modes(), std=0.5),
}


@pytest.mark.parametrize("name", list(EAGER_CALLS))
def test_second_eager_call_does_not_compile(name):
    assert_second_call_compiles_nothing(name, EAGER_CALLS[name])


def test_new_epsilon_does_not_recompile():
    # epsilon is traced: a loop over epsilon (as in the tutorial) compiles once
    gv.sinkhorn_divergence(X, Y, epsilon=0.5)
    with count_compilations() as count:
        for eps in (0.25, 1.0, 2.0):
            gv.sinkhorn_divergence(X, Y, epsilon=eps)
    assert count[0] == 0


def test_concrete_invalid_input_still_raises_eagerly():
    # validation of concrete inputs happens before the compiled call
    with pytest.raises(ValueError, match="sinkhorn: epsilon must be positive"):
        gv.sinkhorn(X, Y, epsilon=-1.0)
    with pytest.raises(ValueError, match="energy_distance: a must sum to one"):
        gv.energy_distance(X, Y, a=2 * A)
    with pytest.raises(ValueError, match="sinkhorn_divergence: balanced transport"):
        gv.sinkhorn_divergence(X, Y, a=2 * A)
    with pytest.raises(ValueError, match="wasserstein_1d: a must sum to one"):
        gv.wasserstein_1d(X[:, 0], Y[:, 0], a=2 * A)


def test_checks_mode_is_part_of_the_key():
    # a traced invalid epsilon (under vmap) gives NaN; with checks on, the next call raises
    # (the executable compiled without checks is not reused)
    f = jax.vmap(lambda e: gv.sinkhorn(X, Y, epsilon=e).reg_cost)
    eps = jnp.array([-1.0, 1.0])
    out = f(eps)
    assert np.isnan(out[0]) and np.isfinite(out[1])
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="epsilon must be positive"):
            f(eps)


# ------------------------------------------------------------------ relative epsilon
def _mean_cost(x, y, a=None, b=None):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a = np.full(len(x), 1 / len(x)) if a is None else np.asarray(a) / np.sum(a)
    b = np.full(len(y), 1 / len(y)) if b is None else np.asarray(b) / np.sum(b)
    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return float(a @ cost @ b)


def test_relative_epsilon_default_is_five_percent_of_the_mean_cost():
    mean = _mean_cost(X, Y)
    tight = dict(tolerance=1e-12, max_iterations=10_000)
    default = gv.sinkhorn(X, Y, **tight)
    by_hand = gv.sinkhorn(X, Y, epsilon=0.05 * mean, **tight)
    np.testing.assert_allclose(default.reg_cost, by_hand.reg_cost, rtol=1e-12)
    np.testing.assert_allclose(default.potentials[0], by_hand.potentials[0], rtol=1e-10, atol=1e-12)
    relative = gv.sinkhorn(X, Y, relative_epsilon=0.3, **tight)
    np.testing.assert_allclose(
        relative.reg_cost, gv.sinkhorn(X, Y, epsilon=0.3 * mean, **tight).reg_cost, rtol=1e-12
    )


def test_relative_epsilon_uses_the_weighted_mean_cost():
    b = jnp.linspace(1.0, 2.0, 30)
    b = b / b.sum()
    mean = _mean_cost(X, Y, A, b)
    tight = dict(tolerance=1e-12, max_iterations=10_000)
    np.testing.assert_allclose(
        gv.sinkhorn(X, Y, a=A, b=b, **tight).reg_cost,
        gv.sinkhorn(X, Y, a=A, b=b, epsilon=0.05 * mean, **tight).reg_cost,
        rtol=1e-12,
    )


def test_divergence_relative_epsilon_from_the_cross_cost():
    mean = _mean_cost(X, Y)
    tight = dict(tolerance=1e-12, max_iterations=10_000)
    np.testing.assert_allclose(
        gv.sinkhorn_divergence(X, Y, **tight),
        gv.sinkhorn_divergence(X, Y, epsilon=0.05 * mean, **tight),
        rtol=1e-11,
    )
    # debiased: S(x, x + t) = |t|^2 whatever the (relative) epsilon
    t = jnp.array([1.0, -2.0])
    np.testing.assert_allclose(gv.sinkhorn_divergence(X, X + t, **tight), 5.0, rtol=1e-9)


def test_relative_epsilon_is_not_differentiated():
    # gradients are those at the fixed epsilon it resolves to
    mean = _mean_cost(X, Y)
    g_rel = jax.grad(lambda x: gv.sinkhorn_divergence(x, Y, tolerance=1e-12))(X)
    g_abs = jax.grad(lambda x: gv.sinkhorn_divergence(x, Y, epsilon=0.05 * mean, tolerance=1e-12))(
        X
    )
    np.testing.assert_allclose(g_rel, g_abs, rtol=1e-8, atol=1e-12)


def test_epsilon_options_validated():
    with pytest.raises(ValueError, match="not both"):
        gv.sinkhorn(X, Y, epsilon=1.0, relative_epsilon=0.1)
    with pytest.raises(ValueError, match="relative_epsilon must be positive"):
        gv.sinkhorn_divergence(X, Y, relative_epsilon=0.0)
    with pytest.raises(TypeError, match="relative_epsilon must be a Python float"):
        gv.sinkhorn(X, Y, relative_epsilon=jnp.ones(2))


def test_identical_points_relative_epsilon():
    # every cost is zero: the plan is a (x) b for every epsilon, OT_eps = 0
    z = jnp.zeros((5, 3))
    out = gv.sinkhorn(z, z)
    assert bool(out.converged)
    assert float(out.transport_cost) == 0.0
    # the dual sums potentials of size ~u * epsilon (epsilon = 0.05 in cost units here)
    assert abs(float(out.reg_cost)) <= 8 * np.finfo(np.float64).eps * 0.05


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_sixteen_dimensions_default_epsilon_converges_fast(dtype):
    # the new user's case at n = 500 (the 2000 points cost 16x the time per iteration):
    # mean cost |0.5|^2 16 + 16 + 2.25 * 16 = 56; 0.05 x 56 = 2.8
    x = _cloud(10, 500, 16, dtype)
    y = _cloud(11, 500, 16, dtype, scale=1.5, shift=0.5)
    out = gv.sinkhorn(x, y)
    assert out.reg_cost.dtype == dtype
    assert bool(out.converged)
    assert int(out.num_iterations) <= 100
    # and the float32 value is the float64 one to float32 accuracy (converged is honest)
    ref = gv.sinkhorn(x.astype(jnp.float64), y.astype(jnp.float64), tolerance=1e-12)
    np.testing.assert_allclose(float(out.reg_cost), float(ref.reg_cost), rtol=2e-5)


def test_float32_absolute_epsilon_converged_is_honest():
    # issue's reproducer (2000 x 16, epsilon = 1, default tolerance) at n = 500: float32 reached
    # marginal error ~2e-6 against a 1e-6 tolerance and said converged=False; the default
    # tolerance is now reachable in float32, and the value agrees with float64
    x = _cloud(10, 500, 16, jnp.float32)
    y = _cloud(11, 500, 16, jnp.float32, scale=1.5, shift=0.5)
    out = gv.sinkhorn(x, y, epsilon=1.0)
    assert bool(out.converged)
    assert float(out.marginal_error) <= default_tolerance(jnp.float32) == 1e-4
    ref = gv.sinkhorn(x.astype(jnp.float64), y.astype(jnp.float64), epsilon=1.0, tolerance=1e-12)
    np.testing.assert_allclose(float(out.reg_cost), float(ref.reg_cost), rtol=2e-5)
    res = gv.sinkhorn_divergence_result(x, y, epsilon=1.0)
    assert bool(res.converged)


# ------------------------------------------------------------------ smaller items
def test_lists_are_accepted():
    # ED = 2 E|X - Y| - E|X - X'| - E|Y - Y'| = 2 * 1.5 - 0.5 - 0 = 2.5
    np.testing.assert_allclose(gv.energy_distance([[0.0], [1.0]], [[2.0]]), 2.5, rtol=1e-12)
    np.testing.assert_allclose(gv.wasserstein_1d([0.0, 1.0], [2.0, 3.0, 4.0]), 2.5, rtol=1e-12)
    np.testing.assert_allclose(
        gv.mmd_squared(
            [[0.0], [1.0]], [[0.0], [3.0]], kernel=gv.kernels.linear(), estimator="biased"
        ),
        1.0,
        rtol=1e-12,
    )
    # S(x, x + t) = |t|^2
    np.testing.assert_allclose(
        gv.sinkhorn_divergence([[0.0, 0.0], [1.0, 0.0]], [[1.0, 2.0], [2.0, 2.0]], epsilon=0.5),
        5.0,
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        gv.frechet_distance_squared(
            [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]],
            [[1.0, 1.0], [3.0, 1.0], [1.0, 3.0], [3.0, 3.0]],
        ),
        2.0,
        rtol=1e-12,
    )


def test_frechet_distance_sample_count_and_dimensions():
    with pytest.raises(ValueError, match=r"frechet_distance_squared \(x\).*at least 2"):
        gv.frechet_distance_squared(jnp.ones((1, 3)), jnp.ones((5, 3)))
    with pytest.raises(ValueError, match=r"frechet_distance_squared \(y\).*at least 2"):
        gv.frechet_distance_squared(jnp.ones((5, 3)), jnp.ones((1, 3)))
    # a transposed [d, n] set next to an [n, d] one: the dimensions differ
    feats = np.random.default_rng(0).normal(size=(10, 4))
    with pytest.raises(ValueError, match="feature dimensions differ, 4 and 10"):
        gv.frechet_distance_squared(feats, feats.T)


def test_frechet_distance_few_samples_is_the_degenerate_gaussians_distance():
    # n = 2 <= d = 3: rank-1 covariances. Two sets with the same spread direction, shifted by t:
    # the fitted Gaussians differ by a translation, FD = |t|^2 exactly.
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    t = np.array([0.5, -1.0, 2.0])
    # the singular covariance's null eigenvalues come out of the eigensolver as rounding, ~u tr S,
    # and their square roots, ~sqrt(u tr S) each, reach the trace term: an absolute error of
    # order d sqrt(u tr S) (documented), not u
    tr = 4.5
    atol = 4 * 3 * np.sqrt(np.finfo(np.float64).eps * tr)
    np.testing.assert_allclose(gv.frechet_distance_squared(x, x + t), t @ t, rtol=0, atol=atol)
    # orthogonal spreads u = (1, 2, 2), v = (2, 1, -2): S1 = u u^T / 2, S2 = v v^T / 2,
    # S1^(1/2) S2 S1^(1/2) = 0, so FD = |mean diff|^2 + tr S1 + tr S2 = 4.5 + 4.5 + 4.5
    y = np.array([[0.0, 0.0, 0.0], [2.0, 1.0, -2.0]])
    np.testing.assert_allclose(gv.frechet_distance_squared(x, y), 13.5, rtol=0, atol=2 * atol)


def test_kernels_namespace_exports_only_kernels():
    public = {n for n in dir(gv.kernels) if not n.startswith("_")}
    assert public == set(_kernels.__all__)
    assert public == set(gv.kernels.__all__)
    for name in ("Any", "jnp", "lax", "dataclasses", "np", "jax"):
        assert not hasattr(gv.kernels, name)
    for name in public:
        obj = getattr(gv.kernels, name)
        assert callable(obj)
    assert isinstance(gv.kernels.rbf(bandwidth=2.0), gv.kernels.Kernel)


def test_sinkhorn_divergence_cites_cuturi_and_feydy():
    for fn in (gv.sinkhorn_divergence, gv.sinkhorn_divergence_result):
        text = gmath.citation(fn, file=False)
        assert "cuturi2013sinkhorn" in text
        assert "feydy2019interpolating" in text
