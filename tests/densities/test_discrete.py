"""Shared machinery of the discrete families: the Stirling remainder at integers."""

import jax.numpy as jnp
import mpmath as mp
import numpy as np

import gmath.testing as gt
from gmath.densities._discrete import stirlerr_at_integers

_K = np.concatenate([np.arange(1.0, 80.0), [100.0, 1e3, 1e4, 1e6, 1e9, 1e15]])


def _reference(k):
    """log k! - (k + 1/2) log k + k - log(2 pi) / 2 (80 digits: at k = 1e15 the terms cancel 33)."""
    with mp.workdps(80):
        out = [
            mp.loggamma(mp.mpf(v) + 1) - (mp.mpf(v) + 0.5) * mp.log(v) + v - mp.log(2 * mp.pi) / 2
            for v in k
        ]
        return np.asarray([float(v) for v in out])


REFERENCE = _reference(_K)


def test_stirlerr_at_integers_matches_mpmath():
    # table below 32 (correctly rounded), Stirling's series above (truncation < 1e-16 relative)
    gt.assert_allclose(stirlerr_at_integers(jnp.asarray(_K)), REFERENCE, rtol=4e-16)


def test_stirlerr_at_integers_float32():
    got = stirlerr_at_integers(jnp.asarray(_K, jnp.float32))
    assert got.dtype == jnp.float32
    gt.assert_allclose(np.asarray(got, np.float64), REFERENCE, rtol=4 * 2.0**-24)


def test_stirlerr_at_integers_at_zero_is_inf():
    assert float(stirlerr_at_integers(jnp.asarray(0.0))) == np.inf
