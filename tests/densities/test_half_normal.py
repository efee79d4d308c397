"""HalfNormal: scipy.stats.halfnorm in float64, quadrature, score, round trip, samples, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import HalfNormal


def _ftz(x):
    # XLA on CPU flushes subnormals to zero; Hypothesis draws them, scipy keeps them.
    return np.where(np.abs(x) < np.finfo(np.asarray(x).dtype).tiny, 0.0, x)


def _scipy(p):
    return ss.halfnorm(scale=np.asarray(p.scale))


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
    p=gt.half_normals(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-5, max_value=60)
)
def test_matches_scipy(p, x):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in p.
    x = _ftz(x)
    ref = _scipy(p)
    z = x / np.asarray(p.scale)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = _methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(cdf, ref.cdf(x))
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    # scipy's halfnorm.logsf is log(erfc), -inf beyond z = 27; log 2 + norm.logsf(z) is exact.
    gt.assert_allclose(log_survival, np.where(z > 0, np.log(2) + ss.norm.logsf(z), 0.0), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.zeros(3))


@given(p=gt.half_normals(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    scale = np.asarray(p.scale)
    mean = np.asarray(p.mean())
    lo, hi = np.zeros((3, 2)), np.broadcast_to(40 * scale, (3, 2))

    def integrands(x):
        density = np.exp(np.asarray(_log_prob(p, x[:, 0])))
        return np.stack([density, x[:, 1] * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(
        integrands, lo, hi, num_nodes=100, num_panels=8
    )
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first, mean)
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(
    p=gt.half_normals(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-5, max_value=60)
)
def test_score_is_grad_log_prob(p, x):
    x = _ftz(x)
    score, autodiff = _score_and_grad(p, jnp.asarray(x))
    gt.assert_allclose(score, autodiff)
    gt.assert_allclose(score, np.where(x >= 0, -x / np.asarray(p.scale) ** 2, 0.0))


@given(p=gt.half_normals(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    x, round_trip = _icdf(p, u)
    # above the median the round trip goes through 1 - u (exact) and ndtri, condition < 60
    gt.assert_allclose(round_trip, np.asarray(u), rtol=1e-12)
    # scipy's halfnorm.ppf, ndtri((1 + u)/2), loses digits for small u: erfinv is the oracle.
    gt.assert_allclose(x, np.asarray(np.sqrt(2) * float(p.scale) * sc.erfinv(u)), rtol=1e-12)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = HalfNormal(jnp.array([0.5, 3.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2) and np.all(x >= 0)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(HalfNormal(p.scale[i])).cdf)


def test_transforms_agree():
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.array([-1.0, 0.0, 0.5, 3.0])
    gt.assert_transform_consistent(lambda s, x: HalfNormal(s).log_prob(x), scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), HalfNormal(scales), xs)


def test_float32_stays_float32():
    p = HalfNormal(jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    assert p.icdf(jnp.float32(0.9)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    assert HalfNormal(1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


def test_outside_support_and_tails():
    p = HalfNormal(2.0)
    x = jnp.array([-1.0, 0.0])
    np.testing.assert_array_equal(p.log_prob(x), [-np.inf, 0.5 * np.log(2 / np.pi) - np.log(2)])
    np.testing.assert_array_equal(p.cdf(x), [0.0, 0.0])
    np.testing.assert_array_equal(p.log_cdf(x), [-np.inf, -np.inf])
    np.testing.assert_array_equal(p.log_survival(x), [0.0, 0.0])
    grad = jax.grad(lambda x, s: HalfNormal(s).log_prob(x), argnums=(0, 1))
    assert grad(-1.0, 2.0) == (0.0, 0.0)
    assert jax.grad(p.log_cdf)(-1.0) == 0.0 and jax.grad(p.log_cdf)(0.0) == 0.0
    gt.assert_allclose(p.log_survival(400.0), np.asarray(np.log(2) + ss.norm.logsf(200.0)))
    gt.assert_allclose(p.log_cdf(1e-200), np.asarray(ss.halfnorm.logcdf(5e-201)))
    u = 1 - 2.0**-53  # icdf goes through the exact 1 - u = 2^-53
    gt.assert_allclose(p.icdf(u), np.asarray(-2 * ss.norm.ppf(2.0**-54)))
    assert p.icdf(1.0) == np.inf and p.icdf(0.0) == 0.0
    assert np.isfinite(jax.grad(p.log_prob)(1e150))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    p = HalfNormal(jnp.asarray(scale, dtype))
    value = p.log_prob(jnp.asarray(scale, dtype))
    assert np.isfinite(value)
    ref = 0.5 * np.log(2 / np.pi) - np.log(scale) - 0.5
    gt.assert_allclose(value, np.asarray(ref, dtype), rtol=gt.tolerance(dtype, condition=4))


def test_shapes_broadcast():
    p = HalfNormal(jnp.ones((2, 3)))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert p.log_prob(jnp.ones((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mode().shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        HalfNormal(jnp.ones(3)).log_prob(jnp.ones(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(HalfNormal(-1.0).log_prob(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            HalfNormal(-1.0)
