"""log1mexp, logsubexp, log1pexp and weighted/signed logsumexp against mpmath in float64."""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gmath.testing as gt
from gmath._numerics import log1mexp, log1pexp, logsubexp, logsumexp

_log1mexp = jax.jit(log1mexp)


@given(x=st.floats(-700.0, -1e-300))
@mp.workdps(60)
def test_log1mexp_matches_mpmath(x):
    xm = mp.mpf(x)
    # each form is exact at any precision on its own side (expm1 for small |x|, exp for large)
    ref = mp.log(-mp.expm1(xm)) if xm > -1 else mp.log1p(-mp.exp(xm))
    # condition number of x -> log(1 - e^x): |x e^x / ((1 - e^x) log(1 - e^x))|
    cond = max(1.0, float(abs(xm * mp.exp(xm) / (-mp.expm1(xm)) / ref)))
    rtol = 8 * np.finfo(np.float64).eps * cond  # XLA's exp and log1p are each ~1-2 ulps
    gt.assert_allclose(_log1mexp(x), np.asarray(float(ref)), rtol=rtol)


@mp.workdps(60)
def test_log1mexp_edges_and_float32():
    assert float(log1mexp(0.0)) == -np.inf
    assert np.isnan(log1mexp(0.5))
    x32 = jnp.linspace(-20, -1e-6, 50, dtype=jnp.float32)
    out = log1mexp(x32)
    assert out.dtype == jnp.float32
    ref = np.array([float(mp.log(1 - mp.exp(mp.mpf(float(v))))) for v in x32])
    gt.assert_allclose(out, ref.astype(np.float32), rtol=4 * np.finfo(np.float32).eps)
    # gradient d/dx log(1 - e^x) = -e^x / (1 - e^x), finite away from 0
    g = jax.grad(log1mexp)(-1.0)
    gt.assert_allclose(g, np.asarray(-np.exp(-1.0) / (1 - np.exp(-1.0))))


@given(a=st.floats(-50, 50), d=st.floats(1e-8, 40))
@mp.workdps(60)
def test_logsubexp_matches_mpmath(a, d):
    ref = float(mp.log(mp.exp(mp.mpf(a)) - mp.exp(mp.mpf(a) - mp.mpf(d))))
    cond = max(1.0, float(abs(1 / mp.expm1(mp.mpf(d)))) / max(abs(ref), 1e-300))
    gt.assert_allclose(logsubexp(a, a - d), np.asarray(ref), rtol=1e-13 * cond)


def test_logsubexp_equal_and_neg_inf():
    assert float(logsubexp(1.0, 1.0)) == -np.inf
    assert float(logsubexp(-jnp.inf, -jnp.inf)) == -np.inf
    gt.assert_allclose(logsubexp(2.0, -jnp.inf), np.asarray(2.0))


@mp.workdps(60)
def test_log1pexp_large_and_small():
    gt.assert_allclose(log1pexp(800.0), np.asarray(800.0))
    gt.assert_allclose(log1pexp(-800.0), np.asarray(0.0), atol=1e-300)
    gt.assert_allclose(log1pexp(-30.0), np.asarray(float(mp.log1p(mp.exp(-30)))))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_weighted_signed_logsumexp(dtype):
    a = jnp.asarray([1000.0, 1000.0, 999.0], dtype)
    b = jnp.asarray([2.0, -1.0, 0.5], dtype)
    value, sign = logsumexp(a, b=b, return_sign=True)
    ref = 1000.0 + np.log(1.0 + 0.5 * np.exp(-1.0))
    assert value.dtype == dtype and float(sign) == 1.0
    gt.assert_allclose(value, np.asarray(ref, dtype))
    value, sign = logsumexp(a, b=-b, return_sign=True)
    assert float(sign) == -1.0
    gt.assert_allclose(value, np.asarray(ref, dtype))


@mp.workdps(60)
def test_log1mexp_on_the_band_where_xla_log1p_is_weak():
    # x in [log 1/4, log 1/2] (and either side of the band's edges): log1p(-e^x) would take
    # log1p at arguments in [-0.5, -0.25], where XLA's float64 log1p on CPU errs by up to 120 ulps
    x = np.concatenate([np.linspace(-1.45, -0.6, 401), [np.log(0.25), np.log(0.5)]])
    ref = np.array([float(mp.log(1 - mp.exp(mp.mpf(v)))) for v in x])
    cond = np.abs(x * np.exp(x) / (-np.expm1(x)) / ref)  # at most about 3 on this band
    for dtype in (jnp.float64, jnp.float32):
        out = log1mexp(jnp.asarray(x, dtype))
        assert out.dtype == dtype
        eps = np.finfo(dtype).eps
        # the float32 input is rounded: compare with the reference at the rounded input
        xr = np.asarray(jnp.asarray(x, dtype), np.float64)
        ref_r = np.array([float(mp.log(1 - mp.exp(mp.mpf(v)))) for v in xr])
        err = np.abs(np.asarray(out, np.float64) - ref_r) / (np.abs(ref_r) * np.maximum(1, cond))
        assert np.max(err) <= 4 * eps, (dtype, float(np.max(err) / eps))
    # the gradient -e^x / (1 - e^x) across the band's edges, finite on every branch
    g = jax.vmap(jax.grad(log1mexp))(jnp.asarray(x))
    gt.assert_allclose(g, -np.exp(x) / -np.expm1(x), rtol=1e-14)
