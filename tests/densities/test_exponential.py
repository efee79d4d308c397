"""Exponential: scipy.stats.expon in float64, quadrature, score, round trip, samples, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Exponential


def _ftz(x):
    # XLA on CPU flushes subnormals to zero; Hypothesis draws them, scipy keeps them.
    return np.where(np.abs(x) < np.finfo(np.asarray(x).dtype).tiny, 0.0, x)


def _scipy(p):
    return ss.expon(scale=1.0 / np.asarray(p.rate))


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
_round_trip = jax.jit(lambda p, u: p.cdf(p.icdf(u)))


@given(
    p=gt.exponentials(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-5, max_value=60)
)
def test_matches_scipy(p, x):
    x = _ftz(x)
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in
    # p, and log p crosses 0 (rate ~ 1 and x ~ 0 cancel in log(rate) - rate x).
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = _methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(cdf, ref.cdf(x))
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.zeros(3))


@given(p=gt.exponentials(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    rate = np.asarray(p.rate)
    # [0, 80/rate] holds all but e^-80 of the mass (below float64 resolution of 1).
    lo, hi = np.zeros(2), 80.0 / rate
    density = lambda x: np.exp(np.asarray(_log_prob(p, x)))
    kw = dict(num_nodes=100, num_panels=8)
    mass = gt.gauss_legendre_integral(density, lo, hi, **kw)
    mean = gt.gauss_legendre_integral(lambda x: x * density(x), lo, hi, **kw)
    second = gt.gauss_legendre_integral(lambda x: (x - 1 / rate) ** 2 * density(x), lo, hi, **kw)
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(mean, np.asarray(p.mean()))
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(
    p=gt.exponentials(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-5, max_value=60)
)
def test_score_is_grad_log_prob(p, x):
    x = _ftz(x)
    score, autodiff = _score_and_grad(p, jnp.asarray(x))
    gt.assert_allclose(score, autodiff)
    gt.assert_allclose(score, np.where(x >= 0, -np.asarray(p.rate), 0.0))


@given(p=gt.exponentials(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    # u -> cdf(icdf(u)) has condition 1 below the median; above it, through x = -log1p(-u)/rate,
    # the condition is |x f(x) / F(x)| <= |log(1 - u)| (1 - u) / u, below 28 here.
    gt.assert_allclose(_round_trip(p, u), np.asarray(u), rtol=1e-13)
    gt.assert_allclose(p.icdf(u), np.asarray(_scipy(p).ppf(u)))


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Exponential(jnp.array([0.5, 4.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)
    assert np.all(x >= 0)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(Exponential(p.rate[i])).cdf)


def test_transforms_agree():
    rates = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.array([-1.0, 0.0, 0.5, 3.0])
    gt.assert_transform_consistent(lambda r, x: Exponential(r).log_prob(x), rates, xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), Exponential(rates), xs)


def test_float32_stays_float32():
    p = Exponential(jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival", "icdf"):
        assert getattr(p, method)(x if method != "icdf" else x * x).dtype == jnp.float32, method
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    assert Exponential(1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


def test_outside_support_and_tails():
    p = Exponential(2.0)
    assert p.log_prob(-1.0) == -np.inf
    assert p.cdf(-1.0) == 0.0 and p.log_cdf(-1.0) == -np.inf and p.log_survival(-1.0) == 0.0
    assert p.log_cdf(0.0) == -np.inf and p.cdf(0.0) == 0.0
    grads = jax.grad(lambda x, r: Exponential(r).log_prob(x), argnums=(0, 1))(-1.0, 2.0)
    assert grads == (0.0, 0.0)
    assert jax.grad(p.log_cdf)(-1.0) == 0.0
    # log_cdf keeps its digits for tiny x (log(1 - e^-t) ~ log t) and large x.
    gt.assert_allclose(p.log_cdf(1e-20), np.asarray(ss.expon.logcdf(2e-20)))
    gt.assert_allclose(p.log_cdf(30.0), np.asarray(ss.expon.logcdf(60.0)))
    gt.assert_allclose(p.log_survival(1e150), np.asarray(-2e150))
    assert np.isfinite(jax.grad(p.log_prob)(1e150))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("rate", [1e-30, 1e30])
def test_extreme_parameters(dtype, rate):
    p = Exponential(jnp.asarray(rate, dtype))
    value = p.log_prob(jnp.asarray(1.0 / rate, dtype))  # the mean
    assert np.isfinite(value)
    gt.assert_allclose(value, np.asarray(np.log(rate) - 1.0, dtype))


def test_shapes_broadcast():
    p = Exponential(jnp.ones((2, 3)))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mode().shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Exponential(jnp.ones(3)).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(Exponential(-1.0).log_prob(1.0))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="rate must be positive"):
            Exponential(0.0)
