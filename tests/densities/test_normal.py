"""Normal: what is specific to the normal family.

The shared battery (scipy.stats in float64, quadrature, score = grad log_prob, cdf(icdf(u)) = u,
samples, eager = jit = vmap, float32, shapes, invalid parameters) runs in
``test_conformance.py``; here are the deep tails, extreme parameters, checks under jit, the pytree,
messages and the gradients at infinity and at tiny scales.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss

import gmath
import gmath.testing as gt
from gmath.densities import Normal


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
