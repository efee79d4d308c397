"""Cauchy: what is specific to the Cauchy family, its heavy tails against mpmath.

The shared battery (scipy.stats and mpmath in float64, quadrature, score, round trip, samples,
float32, shapes, invalid parameters) runs in ``test_conformance.py``.
"""

import jax
import mpmath
import numpy as np

import gmath.testing as gt
from gmath.densities import Cauchy


def test_tails():
    # Both tails keep their relative accuracy: F(z) ~ 1/(pi |z|); log(1 + z^2) never overflows.
    p = Cauchy(0.0, 1.0)
    with mpmath.workdps(650):  # 1/2 + atan(z)/pi cancels 600 digits at z = -1e300
        for z in (-1e3, -1e20, -1e300):
            ref = float(mpmath.log(mpmath.mpf(1) / 2 + mpmath.atan(mpmath.mpf(z)) / mpmath.pi))
            gt.assert_allclose(p.log_cdf(z), np.asarray(ref))
            gt.assert_allclose(p.log_survival(-z), np.asarray(ref))
        ref = float(-mpmath.log(mpmath.pi) - mpmath.log1p(mpmath.mpf(1e200) ** 2))
    gt.assert_allclose(p.log_prob(1e200), np.asarray(ref))
    gt.assert_allclose(p.score(1e200), np.asarray(-2e-200))
    gt.assert_allclose(jax.grad(p.log_prob)(1e200), np.asarray(-2e-200))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(-1 / (np.pi * 1e-300)))
