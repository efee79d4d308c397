"""log(1 + z^2) and z / (1 + z^2), the Cauchy and Student t kernels, against mpmath."""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import gmath.testing as gt
from gmath._numerics import log1p_square, z_over_1p_square

_both = jax.jit(
    lambda z: (log1p_square(z), z_over_1p_square(z), jax.vmap(jax.grad(log1p_square))(z))
)
EPS64 = np.finfo(np.float64).eps

# every binade from 1e-300 to 1e300, both signs, and 0
_Z = st.floats(-1e300, 1e300, allow_subnormal=False)


@given(z=st.lists(_Z, min_size=4, max_size=4))
@mp.workdps(50)
def test_match_mpmath_over_the_whole_range(z):
    z = np.asarray(z)
    log_term, ratio, grad = _both(z)
    zm = [mp.mpf(float(v)) for v in z]
    ref_log = np.array([float(mp.log1p(v * v)) for v in zm])
    ref_ratio = np.array([float(v / (1 + v * v)) for v in zm])
    # d/dz log(1 + z^2) = 2 z / (1 + z^2)
    # condition numbers: log(1 + y) in y is below 1, times |d log y / d log z| = 2; the ratio's
    # is |1 - z^2| / (1 + z^2) <= 1; a few ulps each (log1p, divisions, the 1/eps switch).
    # atol: below the smallest normal number (z^2 subnormal, flushed by XLA:CPU) there is no
    # relative accuracy
    gt.assert_allclose(log_term, ref_log, rtol=6 * EPS64, atol=np.finfo(np.float64).tiny)
    gt.assert_allclose(ratio, ref_ratio, rtol=4 * EPS64, atol=0)
    gt.assert_allclose(grad, 2 * ref_ratio, rtol=4 * EPS64, atol=0)


def test_float32_stays_float32_and_is_finite_at_the_extremes():
    z = jnp.array([0.0, 1e-30, 1.0, 4e3, 1e20, 3e38, -3e38], jnp.float32)
    log_term, ratio, grad = _both(z)
    assert log_term.dtype == ratio.dtype == grad.dtype == jnp.float32
    with mp.workdps(30):
        ref = np.array([float(mp.log1p(mp.mpf(float(v)) ** 2)) for v in z], np.float32)
    gt.assert_allclose(log_term, ref, rtol=4 * np.finfo(np.float32).eps, atol=0)
    assert np.all(np.isfinite(ratio)) and np.all(np.isfinite(grad))
