"""betaln and stirlerr against mpmath.

``jax.scipy.special.betaln`` errs by up to 2e-7 relative even in float64 (jax 0.10.2); ours
corrects Stirling's series instead of cancelling large log-gamma terms.
"""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np

from gmath._numerics import betaln, stirlerr

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


def test_stirlerr_float32_against_mpmath():
    # float32 climbs to the series by the recurrence instead of cancelling gammaln(x + 1) ~ 28;
    # this is what keeps Poisson, Binomial, Gamma, Beta and StudentT log_prob within 4 excess
    # bits in scripts/accuracy_table.py.
    x = np.exp(np.linspace(np.log(1e-3), np.log(1e3), 200)).astype(np.float32)
    out = _stirlerr(jnp.asarray(x))
    assert out.dtype == jnp.float32
    ref = _ref_stirlerr(x.astype(np.float64))
    np.testing.assert_allclose(np.asarray(out, np.float64), ref, rtol=8 * np.finfo(np.float32).eps)


@mp.workdps(30)
def test_stirlerr_float32_step_series_truncation():
    """The float32 climbing steps sum ``_STEP_TERMS[k]`` terms of sum_j u^(2j)/(2j + 1),
    u = 1/(2y + 1), at y >= 1/3 (k = 0) and y > k (k >= 1): the truncation, in the value and in
    its derivative in u, stays below a quarter of float32's ulp over each step's range (mpmath;
    the closed form is atanh(u)/u - 1)."""
    from gmath._numerics._special import _RECURRENCE_FROM, _STEP_TERMS

    assert len(_STEP_TERMS) == _RECURRENCE_FROM
    for k, terms in enumerate(_STEP_TERMS):
        low = mp.mpf(1) / 3 if k == 0 else mp.mpf(k)
        for y in mp.linspace(low, _RECURRENCE_FROM, 40):
            u = 1 / (2 * y + 1)
            value = mp.atanh(u) / u - 1
            slope = 1 / (u * (1 - u * u)) - mp.atanh(u) / (u * u)
            partial = mp.fsum(u ** (2 * j) / (2 * j + 1) for j in range(1, terms + 1))
            dpartial = mp.fsum(2 * j * u ** (2 * j - 1) / (2 * j + 1) for j in range(1, terms + 1))
            assert abs(partial / value - 1) < 1.5e-8
            assert abs(dpartial / slope - 1) < 1.5e-8
