"""betaln and stirlerr against mpmath; the float32 truncation of Temme's sum.

``jax.scipy.special.betaln`` errs by up to 2e-7 relative even in float64 (jax 0.10.2); ours
corrects Stirling's series instead of cancelling large log-gamma terms.
"""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np

from gmath._numerics import betaln, stirlerr
from gmath._numerics._special import temme_series

_betaln = jax.jit(betaln)
_stirlerr = jax.jit(stirlerr)

_RNG = np.random.default_rng(0)
_A, _B = np.exp(_RNG.uniform(np.log(1e-2), np.log(1e4), (2, 300)))


def _ref_betaln(a, b):
    with mp.workdps(40):  # local: mpmath's precision is process-global
        return np.array([float(mp.log(mp.beta(x, y))) for x, y in zip(a, b, strict=True)])


@mp.workdps(40)
def _ref_stirlerr(x):
    return np.array(
        [
            float(mp.loggamma(v + 1) - (v + mp.mpf(1) / 2) * mp.log(v) + v - mp.log(2 * mp.pi) / 2)
            for v in map(mp.mpf, x)
        ]
    )


def test_betaln_float64_against_mpmath():
    out = np.asarray(_betaln(jnp.asarray(_A), jnp.asarray(_B)))
    np.testing.assert_allclose(out, _ref_betaln(_A, _B), rtol=1e-13, atol=1e-13)


def test_betaln_float32_dtype_and_accuracy():
    a32, b32 = _A.astype(np.float32), _B.astype(np.float32)
    out = _betaln(jnp.asarray(a32), jnp.asarray(b32))
    assert out.dtype == jnp.float32
    ref = _ref_betaln(a32.astype(np.float64), b32.astype(np.float64))
    # conditioning: |a d/da| + |b d/db| of log B, at most ~ |log B| + a few
    np.testing.assert_allclose(np.asarray(out, np.float64), ref, rtol=2e-6, atol=2e-6)


def test_stirlerr_float64_against_mpmath():
    x = np.exp(np.linspace(np.log(1e-3), np.log(1e5), 200))
    np.testing.assert_allclose(np.asarray(_stirlerr(jnp.asarray(x))), _ref_stirlerr(x), rtol=1e-12)


@mp.workdps(40)
def _ref_stirlerr_derivative(x):
    # d/dx delta = psi(x + 1) - log x - (x + 1/2)/x + 1
    return np.array(
        [float(mp.digamma(v + 1) - mp.log(v) - (v + mp.mpf(1) / 2) / v + 1) for v in map(mp.mpf, x)]
    )


def test_stirlerr_float32_against_mpmath():
    # float32 takes the series from 5 up and a fitted polynomial below instead of cancelling
    # gammaln(x + 1) ~ 28; this is what keeps Poisson, Binomial, Gamma, Beta and StudentT
    # log_prob within 4 excess bits in scripts/accuracy_table.py. The derivative too (the
    # concentration derivatives of those families). Measured: 3.1 ulps in the value, 5.3 in
    # the derivative, both near x = 0.3, where the recurrence step (x + 1/2) log1p(1/x) - 1
    # cancels about 2.5 bits; at most 1.04 and 1.43 ulps from 1/3 up.
    x = np.exp(np.linspace(np.log(1e-3), np.log(1e3), 400)).astype(np.float32)
    out = _stirlerr(jnp.asarray(x))
    assert out.dtype == jnp.float32
    ref = _ref_stirlerr(x.astype(np.float64))
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(np.asarray(out, np.float64), ref, rtol=4 * eps)
    slope = jax.jit(jax.vmap(jax.grad(stirlerr)))(jnp.asarray(x))
    assert slope.dtype == jnp.float32
    ref = _ref_stirlerr_derivative(x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(slope, np.float64), ref, rtol=6 * eps)


def test_stirlerr_float32_polynomial_truncation():
    """The polynomial for x delta(x) on [1/3, 5] (``_MIDDLE``), evaluated in float64: its own
    error is far below float32's rounding, 1e-10 relative in the value and 5e-8 in the
    derivative (mpmath)."""
    from gmath._numerics._special import _stirlerr_middle

    x = np.linspace(1 / 3, 5, 500)
    value = jax.jit(_stirlerr_middle)(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(value), _ref_stirlerr(x), rtol=1e-10)
    slope = jax.jit(jax.vmap(jax.grad(_stirlerr_middle)))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(slope), _ref_stirlerr_derivative(x), rtol=5e-8)


def test_temme_series_float32_truncation():
    """Below float64 Temme's sum keeps 4 orders of 16 Taylor terms each: against all six
    orders and 25 terms (float64) it differs by its rounding only, for a >= 200, |eta| <= 1."""
    eta = np.linspace(-1.0, 1.0, 401)
    a = np.array([200.0, 1e3, 1e5, 1e30])[:, None]
    full = np.asarray(temme_series(jnp.asarray(a), jnp.asarray(eta)))
    short = temme_series(jnp.asarray(a, jnp.float32), jnp.asarray(eta, jnp.float32))
    assert short.dtype == jnp.float32
    # Horner in float32: a few roundings of terms below |c_0| ~ 0.3
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(np.asarray(short, np.float64), full, rtol=8 * eps)
