"""The accurate pieces of the divergences' closed forms (gmath.divergences._params)."""

import jax.numpy as jnp
import mpmath as mp
import numpy as np

from gmath.divergences._params import expm1_minus


def test_expm1_minus_float32_against_mpmath():
    # e^t - 1 - t: 10 Taylor terms below |t| = 1/2 in float32 (17 in float64), expm1 - t above
    t = np.concatenate([np.geomspace(1e-6, 0.499, 100), np.linspace(0.5, 8.0, 30)])
    t = np.concatenate([-t, t]).astype(np.float32)
    out = expm1_minus(jnp.asarray(t))
    assert out.dtype == jnp.float32
    with mp.workdps(40):
        ref = np.array([float(mp.expm1(mp.mpf(float(v))) - mp.mpf(float(v))) for v in t])
    np.testing.assert_allclose(np.asarray(out, np.float64), ref, rtol=4 * np.finfo(np.float32).eps)
    # float64: expm1(t) - t cancels up to a factor (e^t - 1 + |t|) / (e^t - 1 - t) ~ 4.4 at the
    # switch |t| = 1/2; a few ulps times that
    out64 = expm1_minus(jnp.asarray(t, jnp.float64))
    np.testing.assert_allclose(np.asarray(out64), ref, rtol=8 * np.finfo(np.float64).eps)
