"""LogNormal: scipy.stats.lognorm in float64, quadrature, score, round trip, samples, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import LogNormal


def _ftz(x):
    # XLA on CPU flushes subnormals to zero; Hypothesis draws them, scipy keeps them.
    return np.where(np.abs(x) < np.finfo(np.asarray(x).dtype).tiny, 0.0, x)


def _scipy(p):
    return ss.lognorm(np.asarray(p.scale), scale=np.exp(np.asarray(p.loc)))


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
_xs = st.one_of(
    gt.finite_arrays(shape=(3,), min_value=-2, max_value=50),
    gt.positive_arrays(shape=(3,), min_value=1e-6, max_value=1e6),
)


@given(p=gt.log_normals(batch_shape=(3,)), x=_xs)
def test_matches_scipy(p, x):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in p.
    x = _ftz(x)
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = _methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    # the condition of Phi((log x - mu)/sigma) in x is |phi(z) / (sigma Phi(z))| <= 10 (1 + |z|)
    gt.assert_allclose(cdf, ref.cdf(x), rtol=1e-9, atol=1e-300)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.exp(np.asarray(p.loc) - np.asarray(p.scale) ** 2))


@given(p=gt.log_normals(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    # Substituting x = e^y: integrate p(e^y) e^y g(e^y) dy on y in mu +- 40 sigma.
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    mean = np.asarray(p.mean())
    lo, hi = np.broadcast_to(loc - 40 * scale, (3, 2)), np.broadcast_to(loc + 40 * scale, (3, 2))

    def integrands(y):
        x = np.exp(y)
        density = np.exp(np.asarray(_log_prob(p, x[:, 0]))) * x[:, 0]
        return np.stack([density, x[:, 1] * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(
        integrands, lo, hi, num_nodes=100, num_panels=16
    )
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first, mean)
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(p=gt.log_normals(batch_shape=(3,)), x=_xs)
def test_score_is_grad_log_prob(p, x):
    score, autodiff = _score_and_grad(p, jnp.asarray(_ftz(x)))
    gt.assert_allclose(score, autodiff)
    assert np.all(score[_ftz(x) <= 0] == 0)


@given(p=gt.log_normals(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    x, round_trip = _icdf(p, u)
    # condition of u -> cdf(icdf(u)) through ndtri: |z phi(z) / Phi(z)| below 60 for |z| < 7.1
    gt.assert_allclose(round_trip, np.asarray(u), rtol=1e-12)
    gt.assert_allclose(x, np.asarray(_scipy(p).ppf(u)), rtol=1e-12)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = LogNormal(jnp.array([1.0, -0.5]), jnp.array([0.25, 0.8]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2) and np.all(x > 0)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(LogNormal(p.loc[i], p.scale[i])).cdf)


def test_transforms_agree():
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.array([-1.0, 0.5, 1.0, 3.0])
    gt.assert_transform_consistent(lambda m, s, x: LogNormal(m, s).log_prob(x), locs, scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), LogNormal(locs, scales), xs)


def test_float32_stays_float32():
    p = LogNormal(jnp.float32(0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    assert LogNormal(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


def test_outside_support_and_tails():
    p = LogNormal(0.0, 1.0)
    x = jnp.array([-1.0, 0.0])
    np.testing.assert_array_equal(p.log_prob(x), [-np.inf, -np.inf])
    np.testing.assert_array_equal(p.cdf(x), [0.0, 0.0])
    np.testing.assert_array_equal(p.log_cdf(x), [-np.inf, -np.inf])
    np.testing.assert_array_equal(p.log_survival(x), [0.0, 0.0])
    grad = jax.grad(lambda x, m, s: LogNormal(m, s).log_prob(x), argnums=(0, 1, 2))
    for v in (-1.0, 0.0):
        assert grad(v, 0.0, 1.0) == (0.0, 0.0, 0.0)
    assert jax.grad(p.log_cdf)(-1.0) == 0.0
    # deep tails by log_ndtr: scipy's lognorm.logsf is exact here (norm.logsf of log x)
    gt.assert_allclose(p.log_survival(1e100), np.asarray(ss.norm.logsf(np.log(1e100))))
    gt.assert_allclose(p.log_cdf(1e-100), np.asarray(ss.norm.logcdf(np.log(1e-100))))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_prob)(1e-300))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    # at the median x = e^loc = 1 (where log x = loc exactly, as the width 1e-30 needs)
    p = LogNormal(jnp.asarray(0.0, dtype), jnp.asarray(scale, dtype))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    ref = -np.log(scale) - 0.5 * np.log(2 * np.pi)
    gt.assert_allclose(value, np.asarray(ref, dtype), rtol=gt.tolerance(dtype, condition=4))


def test_shapes_broadcast():
    p = LogNormal(jnp.zeros((2, 1)), jnp.ones(3))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert p.log_prob(jnp.ones((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mode().shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        LogNormal(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        LogNormal(jnp.zeros(3), 1.0).log_prob(jnp.ones(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(LogNormal(0.0, -1.0).log_prob(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            LogNormal(0.0, -1.0)
