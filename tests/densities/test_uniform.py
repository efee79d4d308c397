"""Uniform: scipy.stats.uniform in float64, quadrature, score, round trip, samples, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Uniform

import _univariate as uv


def _scipy(p):
    low, high = np.asarray(p.low), np.asarray(p.high)
    return ss.uniform(low, high - low)


_grads = jax.jit(
    lambda p, x: (
        p.score(x),
        jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
        jax.grad(lambda v: jnp.sum(p.log_cdf(v) + p.log_survival(v)))(x),
    )
)


@given(p=gt.uniforms(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-15, max_value=25))
def test_matches_scipy(p, x):
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    # scipy's support is [low, low + (high - low)], which may round differently from high.
    inside = (x > np.asarray(p.low)) & (x < np.asarray(p.high))
    gt.assert_allclose(
        np.where(inside, log_prob, 0), np.where(inside, ref.logpdf(x), 0), atol=1e-13
    )
    assert np.all(log_prob[x < np.asarray(p.low)] == -np.inf)
    assert np.all(log_prob[x > np.asarray(p.high)] == -np.inf)
    # log_cdf(x) = log(x - a) - log(b - a): condition |(x - a) F'/F| / |log F| is large near
    # F = 1, so compare absolutely there (an absolute error d in log F is relative error d in F).
    gt.assert_allclose(cdf, ref.cdf(x), atol=1e-14)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, ref.mean())


@given(p=gt.uniforms(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    # Gauss-Legendre on exactly [low, high] (the nodes are interior) is exact for polynomials.
    low, high = np.asarray(p.low), np.asarray(p.high)
    mean = np.asarray(p.mean())
    lo, hi = np.broadcast_to(low, (3, 2)), np.broadcast_to(high, (3, 2))

    def integrands(x):
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0])))
        return np.stack([density, (x[:, 1] - low) * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(integrands, lo, hi, num_nodes=8)
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first + low, mean, atol=1e-13)
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(p=gt.uniforms(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-15, max_value=25))
def test_score_is_grad_log_prob_and_zero(p, x):
    score, autodiff, tails = _grads(p, jnp.asarray(x))
    gt.assert_allclose(score, autodiff)
    gt.assert_allclose(score, np.zeros(3))
    assert np.all(np.isfinite(tails))


@given(p=gt.uniforms(), u=st.floats(0.0, 1.0))
def test_cdf_inverts_icdf(p, u):
    x, round_trip = uv.icdf_round_trip(p, u)
    width = float(p.high) - float(p.low)
    # rounding of low + u (b - a) is absolute, relative to max(|a|, |b|) / (b - a) in u.
    scale = (abs(float(p.low)) + abs(float(p.high))) / width
    gt.assert_allclose(round_trip, np.asarray(u), rtol=0, atol=4e-16 * scale)
    gt.assert_allclose(x, np.asarray(_scipy(p).ppf(u)), atol=1e-14 * width * scale)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Uniform(jnp.array([1.0, -2.0]), jnp.array([1.5, 7.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)
    assert np.all((x >= np.asarray(p.low)) & (x <= np.asarray(p.high)))
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(Uniform(p.low[i], p.high[i])).cdf)


def test_float32_stays_float32():
    p = Uniform(jnp.float32(-0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    assert Uniform(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


def test_outside_support():
    p = Uniform(-1.0, 3.0)
    x = jnp.array([-2.0, -1.0, 3.0, 4.0])
    np.testing.assert_array_equal(p.log_prob(x), [-np.inf, -np.log(4), -np.log(4), -np.inf])
    np.testing.assert_array_equal(p.cdf(x), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(p.log_cdf(x), [-np.inf, -np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(p.log_survival(x), [0.0, 0.0, -np.inf, -np.inf])
    for fn in (p.log_prob, p.log_cdf, p.log_survival):
        g = jax.grad(lambda x, a, b, fn=fn: fn.__func__(Uniform(a, b), x), argnums=(0, 1, 2))
        for v in (-2.0, 4.0):
            assert g(v, -1.0, 3.0) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("width", [1e-30, 1e30])
def test_extreme_parameters(dtype, width):
    p = Uniform(jnp.asarray(0.0, dtype), jnp.asarray(width, dtype))
    value = p.log_prob(jnp.asarray(0.5 * width, dtype))
    assert np.isfinite(value)
    gt.assert_allclose(value, np.asarray(-np.log(width), dtype))


def test_shapes_broadcast():
    p = Uniform(jnp.zeros((2, 1)), jnp.ones(3))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.score(0.5).shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"low with shape \(2,\).*high with shape \(3,\)"):
        Uniform(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Uniform(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(Uniform(1.0, 0.0).entropy())
    for method in ("log_prob", "cdf", "log_cdf", "log_survival"):
        assert np.all(np.isnan(getattr(Uniform(1.0, 0.0), method)(jnp.array([-1.0, 0.5, 2.0]))))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="low must be below high"):
            Uniform(1.0, 1.0)


def test_gradients_outside_and_at_infinity_are_zero():
    for method in ("log_prob", "cdf", "log_cdf", "log_survival"):
        for x in (-np.inf, -3.0, 5.0, np.inf):
            f = lambda x, a, b, m=method: getattr(Uniform(a, b), m)(x)
            grads = jax.grad(f, argnums=(0, 1, 2))(x, -1.0, 2.0)
            np.testing.assert_array_equal(np.asarray(grads), np.zeros(3))


def test_invalid_bounds_give_nan_samples():
    assert np.all(np.isnan(Uniform(1.0, 0.0).sample(jax.random.key(0), (20,))))
    assert np.isnan(Uniform(1.0, 0.0).mean())
