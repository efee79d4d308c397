"""Logistic: scipy.stats.logistic in float64, quadrature, score, round trip, samples, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Logistic


def _ftz(x):
    # XLA on CPU flushes subnormals to zero; Hypothesis draws them, scipy keeps them.
    return np.where(np.abs(x) < np.finfo(np.asarray(x).dtype).tiny, 0.0, x)


def _scipy(p):
    return ss.logistic(np.asarray(p.loc), np.asarray(p.scale))


_methods = jax.jit(
    lambda p, x: (
        p.log_prob(x),
        p.cdf(x),
        p.log_cdf(x),
        p.log_survival(x),
        p.entropy(),
        p.mean(),
        p.variance(),
        p.mode(),
    )
)
_log_prob = jax.jit(lambda p, x: p.log_prob(x))
_score_and_grad = jax.jit(lambda p, x: (p.score(x), jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x)))
_icdf = jax.jit(lambda p, u: (p.icdf(u), p.cdf(p.icdf(u))))


@given(
    p=gt.logistics(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-60, max_value=60)
)
def test_matches_scipy(p, x):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in
    # p, and log p crosses 0 where its relative error is meaningless.
    x = _ftz(x)
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = _methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(cdf, ref.cdf(x), atol=1e-300)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.asarray(p.loc))


@given(p=gt.logistics(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    # Mass, mean and variance in one quadrature call, on [loc - 40 scale, loc + 40 scale]
    # (the mass outside is below 1e-16).
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    mean = np.asarray(p.mean())
    lo, hi = np.broadcast_to(loc - 40 * scale, (3, 2)), np.broadcast_to(loc + 40 * scale, (3, 2))

    def integrands(x):
        density = np.exp(np.asarray(_log_prob(p, x[:, 0])))
        return np.stack([density, (x[:, 1] - loc) * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(
        integrands, lo, hi, num_nodes=100, num_panels=16
    )
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first + loc, mean, atol=1e-12 * float(scale.max()))
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(
    p=gt.logistics(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-60, max_value=60)
)
def test_score_is_grad_log_prob(p, x):
    score, autodiff = _score_and_grad(p, jnp.asarray(_ftz(x)))
    gt.assert_allclose(score, autodiff, atol=1e-13)


@given(p=gt.logistics(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    x, round_trip = _icdf(p, u)
    # condition of u -> icdf(u) is |u / (x f(x))|; the round trip has condition 1 up to the
    # rounding of x.
    # rounding x (absolute eps (|x| + |loc|)) moves F by f(x) times that: relative condition
    cond = 4e-16 * (abs(float(x)) + abs(float(p.loc))) * float(_scipy(p).pdf(x)) / u
    gt.assert_allclose(round_trip, np.asarray(u), rtol=1e-13 + cond)
    gt.assert_allclose(x, np.asarray(_scipy(p).ppf(u)), rtol=1e-12, atol=1e-13 * float(p.scale))


def test_location_scale_equivariance():
    # log p(a x + b; a m + b, a s) = log p(x; m, s) - log a
    x = jnp.linspace(-5.0, 5.0, 11)
    a, b = 2.5, -1.0
    lhs = Logistic(a * 0.3 + b, a * 1.7).log_prob(a * x + b)
    rhs = Logistic(0.3, 1.7).log_prob(x) - np.log(a)
    gt.assert_allclose(lhs, rhs)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Logistic(loc=jnp.array([1.0, -2.0]), scale=jnp.array([0.5, 3.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(Logistic(p.loc[i], p.scale[i])).cdf)


def test_transforms_agree():
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.linspace(-3.0, 3.0, 4)
    gt.assert_transform_consistent(lambda m, s, x: Logistic(m, s).log_prob(x), locs, scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), Logistic(locs, scales), xs)


def test_float32_stays_float32():
    p = Logistic(jnp.float32(0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    # Python-scalar parameters are weak: they follow the input's dtype.
    assert Logistic(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    p = Logistic(jnp.asarray(1.0, dtype), jnp.asarray(scale, dtype))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    gt.assert_allclose(value, np.asarray(Logistic(1.0, 1.0).log_prob(1.0) - np.log(scale), dtype))


def test_shapes_broadcast():
    p = Logistic(loc=jnp.zeros((2, 1)), scale=jnp.ones(3))
    assert p.batch_shape == (2, 3)
    assert p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mean().shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        Logistic(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Logistic(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(Logistic(0.0, -1.0).log_prob(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            Logistic(0.0, -1.0)


def test_tails():
    p = Logistic(0.0, 1.0)
    gt.assert_allclose(p.log_cdf(-800.0), np.asarray(-800.0))
    gt.assert_allclose(p.log_survival(800.0), np.asarray(-800.0))
    gt.assert_allclose(p.log_prob(800.0), np.asarray(-800.0))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(np.log(1e-300)))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_cdf)(-1e150))
