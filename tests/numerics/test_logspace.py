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
