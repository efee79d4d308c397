"""Gumbel, Laplace, Logistic (and Cauchy where shared): what is specific to each family.

The shared battery (scipy.stats in float64, quadrature, score, round trip, samples, float32,
invalid parameters, shapes) runs for every location-scale family in ``test_conformance.py``;
here are the tails, the gradients at infinity and at tiny scales.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss

import gmath
import gmath.testing as gt
from gmath.densities import Gumbel, Laplace, Logistic


def test_gumbel_tails():
    # log_survival = log(1 - exp(-e^-z)) ~ -z deep in the upper tail; log_cdf = -e^-z exactly.
    p = Gumbel(0.0, 1.0)
    gt.assert_allclose(p.log_survival(700.0), np.asarray(-700.0))
    gt.assert_allclose(p.log_survival(40.0), np.asarray(ss.gumbel_r.logsf(40.0)))
    gt.assert_allclose(p.log_cdf(-5.0), np.asarray(-np.exp(5.0)))
    gt.assert_allclose(p.score(-3.0), np.asarray(np.expm1(3.0)))
    gt.assert_allclose(p.icdf(1 - 1e-15), np.asarray(ss.gumbel_r.ppf(1 - 1e-15)))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_survival)(700.0))


def test_laplace_tails():
    p = Laplace(0.0, 1.0)
    gt.assert_allclose(p.log_cdf(-700.0), np.asarray(-700.0 - np.log(2)))
    gt.assert_allclose(p.log_survival(700.0), np.asarray(-700.0 - np.log(2)))
    gt.assert_allclose(p.log_cdf(40.0), np.asarray(ss.laplace.logcdf(40.0)))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(np.log(2e-300)))
    # gradients stay finite where the other branch of the where would overflow
    assert np.isfinite(jax.grad(p.log_cdf)(-800.0)) and np.isfinite(jax.grad(p.log_survival)(800.0))
    assert np.isfinite(jax.grad(p.log_prob)(1e150))


def test_logistic_tails():
    p = Logistic(0.0, 1.0)
    gt.assert_allclose(p.log_cdf(-800.0), np.asarray(-800.0))
    gt.assert_allclose(p.log_survival(800.0), np.asarray(-800.0))
    gt.assert_allclose(p.log_prob(800.0), np.asarray(-800.0))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(np.log(1e-300)))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_cdf)(-1e150))


@pytest.mark.parametrize("cls", [Gumbel, Laplace, Logistic, gmath.densities.Cauchy])
def test_cdfs_and_log_prob_at_infinity_have_zero_gradients(cls):
    for method in ("cdf", "log_cdf", "log_survival", "log_prob"):
        for x in (-np.inf, np.inf):
            f = lambda x, m, s, method=method: getattr(cls(m, s), method)(x)
            grads = jax.grad(f, argnums=(0, 1, 2))(x, 0.3, 1.7)
            np.testing.assert_array_equal(np.asarray(grads), np.zeros(3))
    assert cls(0.3, 1.7).log_prob(-np.inf) == -np.inf  # Gumbel: was NaN (inf - inf)


def test_gumbel_log_survival_far_out_is_minus_z():
    # log(1 - exp(-e^{-z})) = -z - e^{-z}/2 + ...: finite where e^{-z} underflows (was -inf)
    p = Gumbel(jnp.float32(0), jnp.float32(1e-30))
    gt.assert_allclose(p.log_survival(jnp.float32(1.0)), np.float32(-1e30), rtol=1e-6)
    np.testing.assert_allclose(Gumbel(0.0, 1.0).log_survival(800.0), -800.0, rtol=1e-15)


@pytest.mark.parametrize("cls", [Gumbel, Laplace, Logistic, gmath.densities.Cauchy])
def test_tiny_scale_gradients_in_float32(cls):
    f32 = jnp.float32
    g = jax.grad(lambda s: cls(f32(0), s).log_prob(f32(0)))(f32(1e-30))
    gt.assert_allclose(g, np.float32(-1e30), rtol=1e-6)  # -1/scale at z = 0
    g = jax.grad(lambda s: cls(f32(0), s).score(f32(0)))(f32(1e-30))
    assert np.isfinite(g)
