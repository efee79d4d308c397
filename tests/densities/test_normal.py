"""Normal: the reference test file every family's tests follow.

Checks: scipy.stats in float64 at 1e-10 relative; normalisation and
moments by Gauss–Legendre quadrature; score = grad(log_prob); cdf(icdf(u)) = u; samples against
the CDF (DKW band) and the mean (Chebyshev band); eager = jit = vmap; float32 preserved; tails,
extreme parameters and bad input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Normal

import _univariate as uv

TOL = gt.tolerance(np.float64)


def _scipy(p):
    return ss.norm(np.asarray(p.loc), np.asarray(p.scale))


@given(p=gt.normals(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-30, max_value=30))
def test_matches_scipy(p, x):
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x))
    gt.assert_allclose(cdf, ref.cdf(x), atol=1e-300)
    gt.assert_allclose(log_cdf, ref.logcdf(x))
    gt.assert_allclose(log_survival, ref.logsf(x))
    gt.assert_allclose(entropy, ref.entropy())
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(p.stddev(), ref.std())
    gt.assert_allclose(mode, np.asarray(p.loc))


@given(p=gt.normals(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    lo, hi = loc - 40 * scale, loc + 40 * scale
    density = lambda x: np.exp(np.asarray(p.log_prob(x)))
    kw = dict(num_nodes=100, num_panels=8)
    mass = gt.gauss_legendre_integral(density, lo, hi, **kw)
    mean = gt.gauss_legendre_integral(lambda x: x * density(x), lo, hi, **kw)
    second = gt.gauss_legendre_integral(lambda x: (x - loc) ** 2 * density(x), lo, hi, **kw)
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(mean, np.asarray(p.mean()), atol=1e-12 * float(scale.max()))
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(p=gt.normals(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-30, max_value=30))
def test_score_is_grad_log_prob(p, x):
    gt.assert_allclose(*uv.score_and_grad(p, x))


@given(p=gt.normals(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    # condition of u -> cdf(icdf(u)) is 1; of the round trip through x, |x pdf(x) / u|.
    gt.assert_allclose(p.cdf(p.icdf(u)), np.asarray(u), rtol=1e-9 if u > 1e-3 else 1e-7)


def test_location_scale_equivariance():
    # log p(a x + b; a m + b, a s) = log p(x; m, s) - log a
    x = jnp.linspace(-5.0, 5.0, 11)
    a, b = 2.5, -1.0
    lhs = Normal(a * 0.3 + b, a * 1.7).log_prob(a * x + b)
    rhs = Normal(0.3, 1.7).log_prob(x) - np.log(a)
    gt.assert_allclose(lhs, rhs)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Normal(loc=jnp.array([1.0, -2.0]), scale=jnp.array([0.5, 3.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(Normal(p.loc[i], p.scale[i])).cdf)


def test_transforms_agree():
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.linspace(-3.0, 3.0, 4)
    fn = lambda m, s, x: Normal(m, s).log_prob(x)
    gt.assert_transform_consistent(fn, locs, scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.cdf(x), Normal(locs, scales), xs)


@pytest.mark.parametrize("method", ["log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"])
def test_float32_stays_float32(method):
    p = Normal(jnp.float32(0.5), jnp.float32(2.0))
    out = getattr(p, method)(jnp.linspace(-1, 1, 5, dtype=jnp.float32))
    assert out.dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    assert p.entropy().dtype == jnp.float32
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    # Python-scalar parameters are weak: they follow the input's dtype.
    assert Normal(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


def test_deep_tails_and_extreme_parameters():
    p = Normal(0.0, 1.0)
    gt.assert_allclose(p.log_cdf(-200.0), np.asarray(ss.norm.logcdf(-200.0)))
    gt.assert_allclose(p.log_survival(200.0), np.asarray(ss.norm.logsf(200.0)))
    g = jax.grad(p.log_prob)(1e150)
    assert np.isfinite(g) and g == -1e150
    for scale in (1e-30, 1e30):
        for dtype in (jnp.float32, jnp.float64):
            q = Normal(jnp.asarray(1.0, dtype), jnp.asarray(scale, dtype))
            value = q.log_prob(jnp.asarray(1.0, dtype))
            assert np.isfinite(value)
            gt.assert_allclose(value, np.asarray(-np.log(scale) - 0.5 * np.log(2 * np.pi), dtype))


def test_shapes_broadcast():
    p = Normal(loc=jnp.zeros((2, 1)), scale=jnp.ones(3))
    assert p.batch_shape == (2, 3)
    assert p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        Normal(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Normal(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(Normal(0.0, -1.0).log_prob(0.0))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            Normal(0.0, -1.0)

        @jax.jit
        def f(s):
            return Normal(0.0, s).log_prob(0.0)

        with pytest.raises(Exception, match="scale must be positive"):
            jax.block_until_ready(f(-1.0))
        assert np.isfinite(f(1.0))


def test_pytree_through_jit_vmap_grad():
    p = Normal(jnp.array([0.0, 1.0]), jnp.array([1.0, 2.0]))
    leaves = jax.tree_util.tree_leaves(p)
    assert len(leaves) == 2
    out = jax.jit(lambda p: p.log_prob(0.5))(p)
    gt.assert_allclose(out, p.log_prob(0.5))
    # d/dloc log p(x) = (x - loc) / scale^2
    g = jax.grad(lambda p: jnp.sum(p.log_prob(0.5)))(p)
    gt.assert_allclose(g.loc, np.array([0.5, -0.125]))
    # d/dscale log p(x) = z^2 / scale - 1 / scale
    gt.assert_allclose(g.scale, np.array([0.25 - 1.0, (0.0625 - 1.0) / 2.0]))


def test_invalid_scale_gives_nan_everywhere_samples_included():
    p = Normal(0.0, -1.0)
    assert np.isnan(p.cdf(0.5))  # was 0.3085
    draws = p.sample(jax.random.key(0), (100,))
    assert np.all(np.isnan(draws))  # were finite
    for value in (p.log_prob(0.0), p.icdf(0.3), p.mean(), p.stddev(), p.entropy(), p.score(1.0)):
        assert np.isnan(value)
    # valid members of a batch are untouched, values and gradients
    q = Normal(jnp.zeros(2), jnp.array([2.0, -1.0]))
    np.testing.assert_array_equal(np.isnan(q.log_prob(1.0)), [False, True])
    g = jax.grad(lambda s: jnp.sum(Normal(0.0, s).log_prob(jnp.array([1.0, 3.0]))))(2.0)
    gt.assert_allclose(g, sum((x * x / 4 - 1) / 2 for x in (1.0, 3.0)), rtol=1e-14)


def test_complex_values_are_rejected():
    with pytest.raises(TypeError, match=r"Normal.log_prob: x must be real"):
        Normal().log_prob(1 + 1j)
    with pytest.raises(TypeError, match=r"Normal: loc must be real"):
        Normal(1j, 1.0)


def test_messages_name_the_method_and_argument():
    p = Normal(jnp.zeros(3), 1.0)
    for method in ("cdf", "log_cdf", "log_survival", "score", "log_prob"):
        with pytest.raises(ValueError, match=rf"Normal\.{method}: x with shape \(2,\)"):
            getattr(p, method)(jnp.zeros(2))
    with pytest.raises(ValueError, match=r"Normal\.icdf: u with shape \(2,\)"):
        p.icdf(jnp.zeros(2))


def test_bad_keys_and_sample_shapes_are_named():
    p = Normal()
    for key in ((1, 2), 3, jnp.zeros(2)):
        with pytest.raises(TypeError, match=r"Normal\.sample: key must be a jax\.random key"):
            p.sample(key)
    for shape in ((-1,), (2, -3), 1.5, (2.0,), "a"):
        with pytest.raises(ValueError, match=r"Normal\.sample: sample_shape must be"):
            p.sample(jax.random.key(0), shape)
    assert p.sample(jax.random.key(0), np.int64(3)).shape == (3,)
    assert p.sample(jax.random.key(0), (0,)).shape == (0,)


def test_gradients_at_infinity_and_tiny_scales():
    for method in ("cdf", "log_cdf", "log_survival", "log_prob"):
        for x in (-np.inf, np.inf):
            g = jax.grad(lambda *a, m=method: getattr(Normal(a[1], a[2]), m)(a[0]), (0, 1, 2))
            np.testing.assert_array_equal(np.asarray(g(x, 0.3, 1.7)), np.zeros(3))
    # f32: d/dscale log p(loc) = -1/scale = -1e30 (was NaN: scale**-2 overflowed)
    g = jax.grad(lambda s: Normal(jnp.float32(0), s).log_prob(jnp.float32(0)))(jnp.float32(1e-30))
    assert g.dtype == jnp.float32
    gt.assert_allclose(g, np.float32(-1e30), rtol=1e-6)
    g = jax.grad(lambda s: Normal(jnp.float32(0), s).score(jnp.float32(0)))(jnp.float32(1e-30))
    assert g == 0  # d/dscale of -(x - loc)/scale^2 at x = loc
