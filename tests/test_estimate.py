"""gmath.Estimate and the one helper forming it, gmath.mean_and_stderr: s / sqrt(n) with the
unbiased sample variance, NaN for n < 2, the same record and convention in every estimator."""

import math

import jax
import jax.numpy as jnp
import numpy as np

import gmath
import gmath.densities as gd
import gmath.divergences as gv
import gmath.scores as gs


def test_one_record_exported_everywhere():
    assert gmath.Estimate is gv.Estimate is gs.Estimate
    assert "Estimate" in gmath.__all__ and "mean_and_stderr" in gmath.__all__


def test_mean_and_stderr_formula_axis_and_dtype():
    x = np.array([[1.0, 4.0], [2.0, 0.0], [6.0, 2.0], [3.0, 2.0]])
    est = gmath.mean_and_stderr(jnp.asarray(x))
    np.testing.assert_allclose(est.value, x.mean(0), rtol=1e-15)
    np.testing.assert_allclose(est.stderr, x.std(0, ddof=1) / 2.0, rtol=1e-15)
    # [1, 2, 6, 3]: mean 3, s^2 = (4 + 1 + 9 + 0) / 3, stderr = sqrt(14 / 3) / 2
    np.testing.assert_allclose(float(est.stderr[0]), math.sqrt(14 / 3) / 2, rtol=1e-15)
    row = gmath.mean_and_stderr(jnp.asarray(x), axis=1)
    np.testing.assert_allclose(row.stderr, x.std(1, ddof=1) / math.sqrt(2), rtol=1e-15)
    e32 = gmath.mean_and_stderr(jnp.asarray(x, jnp.float32))
    assert e32.value.dtype == e32.stderr.dtype == jnp.float32


def test_fewer_than_two_terms_give_nan_stderr_in_every_estimator():
    one = gmath.mean_and_stderr(jnp.array([2.5]))
    assert float(one.value) == 2.5 and np.isnan(one.stderr)
    key = jax.random.key(0)
    p, q = gd.Normal(0.0, 1.0), gd.Normal(1.0, 2.0)
    for est in (
        gv.kl_estimate(key, p, q, 1),
        gv.f_divergence_estimate(key, p, q, gv.generators.kl_forward, 1),
        gv.jensen_shannon_estimate(key, p, q, 1),
        gs.jacobian_trace_estimate(key, jnp.sin, jnp.ones(3)),
    ):
        assert isinstance(est, gmath.Estimate)
        assert np.isfinite(est.value) and np.isnan(est.stderr)
