"""Poisson: scipy/mpmath in float64, truncated exact sums, samples, transforms, edges."""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Poisson

# For rate <= 50 the mass at k >= 200 is below exp(-150^2 / (2 (50 + 50))) < 1e-48 (Bernstein):
# sums over 0..199 are exact to rounding.
SUPPORT = jnp.arange(200, dtype=jnp.float64)[:, None]


@jax.jit
def _summaries(p, x):
    return p.log_prob(x), p.prob(x), p.entropy(), p.mean(), p.variance(), p.mode()


@jax.jit
def _on_support(p):
    return p.log_prob(SUPPORT)


_entropy = jax.jit(lambda rate: Poisson(rate).entropy())


@given(p=gt.poissons(batch_shape=(3,)), x=st.lists(st.integers(0, 120), min_size=3, max_size=3))
def test_matches_scipy(p, x):
    x = np.asarray(x)
    ref = ss.poisson(np.asarray(p.rate))
    log_prob, prob, entropy, mean, variance, mode = _summaries(p, x)
    gt.assert_allclose(log_prob, ref.logpmf(x))
    gt.assert_allclose(prob, ref.pmf(x), atol=1e-300)
    gt.assert_allclose(entropy, ref.entropy())
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.floor(np.asarray(p.rate)))


@given(p=gt.poissons(batch_shape=(3,)))
def test_truncated_sums(p):
    pmf = np.exp(np.asarray(_on_support(p)))
    x = np.asarray(SUPPORT)
    gt.assert_allclose(pmf.sum(0), np.ones(3))
    mean = (x * pmf).sum(0)
    gt.assert_allclose(mean, np.asarray(p.mean()))
    gt.assert_allclose(((x - mean) ** 2 * pmf).sum(0), np.asarray(p.variance()))
    terms = np.where(pmf > 0, -pmf * np.log(np.where(pmf > 0, pmf, 1.0)), 0.0)
    gt.assert_allclose(terms.sum(0), np.asarray(p.entropy()))


@given(rate=st.floats(100.0, 400.0))
def test_entropy_across_the_quadrature_switch(rate):
    # The exact window sum is used below rate 196, the quadrature above: both match scipy's sum.
    gt.assert_allclose(_entropy(jnp.array([rate])), np.array([ss.poisson(rate).entropy()]))


def test_large_rates_against_mpmath():
    mp.mp.dps = 40
    rates = np.array([1e4, 1e6, 1e9])
    # entropy: asymptotic series 1/2 log(2 pi e l) - 1/(12 l) - 1/(24 l^2) - 19/(360 l^3) + O(l^-4)
    # (Evans and Boersma 1988); at these rates the omitted term is < 1e-16.
    ref = [
        0.5 * mp.log(2 * mp.pi * mp.e * r) - 1 / (12 * r) - 1 / (24 * r**2) - 19 / (360 * r**3)
        for r in map(mp.mpf, rates)
    ]
    gt.assert_allclose(_entropy(jnp.asarray(rates)), np.array([float(v) for v in ref]))
    # log_prob (Loader's form) where the naive formula would lose ~8 digits.
    k = np.floor(rates + 3 * np.sqrt(rates))
    ref = [k_ * mp.log(r) - r - mp.loggamma(k_ + 1) for k_, r in zip(k, rates, strict=True)]
    gt.assert_allclose(Poisson(rates).log_prob(k), np.array([float(v) for v in ref]), rtol=1e-13)


def test_score_is_undefined():
    with pytest.raises(TypeError, match="undefined for the discrete distribution Poisson"):
        Poisson(2.0).score(1.0)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Poisson(jnp.array([0.7, 12.0, 300.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 3) and x.dtype == jnp.float64
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(3):
        gt.assert_samples_match_cdf(x[:, i], ss.poisson(float(p.rate[i])).cdf)


def test_transforms_agree():
    rates = jnp.array([0.5, 3.0, 40.0, 500.0])
    xs = jnp.array([0.0, 2.0, 41.0, 480.0])
    gt.assert_transform_consistent(lambda r, x: Poisson(r).log_prob(x), rates, xs)
    gt.assert_transform_consistent(lambda r: Poisson(r).entropy(), rates)


def test_float32_stays_float32():
    p = Poisson(jnp.float32(3.5))
    for x in (jnp.array([0.0, 2.0], jnp.float32), jnp.array([0, 2], jnp.int32)):
        assert p.log_prob(x).dtype == jnp.float32
        assert p.prob(x).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    gt.assert_allclose(p.log_prob(jnp.int32(2)), np.float32(ss.poisson(3.5).logpmf(2)))


def test_outside_support_is_minus_inf_with_zero_gradient():
    x = jnp.array([-1.0, 0.5, jnp.inf, jnp.nan])
    lp = Poisson(3.0).log_prob(x)  # off the support -inf; a NaN value (last) NaN
    assert np.all(np.isneginf(lp[:-1])) and np.isnan(lp[-1])
    assert np.isneginf(Poisson(3.0).log_prob(jnp.array(-2, jnp.int32)))
    assert jax.grad(lambda r: jnp.sum(Poisson(r).log_prob(x)))(3.0) == 0.0


def test_gradient_and_edges():
    # d/drate log p(k) = k / rate - 1, also far in the tail
    k = jnp.array([0.0, 3.0, 50.0, 1e6])
    g = jax.vmap(jax.grad(lambda r, k: Poisson(r).log_prob(k)), (None, 0))(7.0, k)
    gt.assert_allclose(g, np.asarray(k) / 7.0 - 1)
    # rate 0: all mass at 0
    p = Poisson(0.0)
    gt.assert_allclose(p.log_prob(jnp.array([0.0, 1.0])), np.array([0.0, -np.inf]))
    assert float(p.entropy()) == 0.0
    # extreme rates stay finite
    for rate in (1e-30, 1e30):
        assert np.isfinite(Poisson(rate).log_prob(0.0)) or rate == 1e30
        assert np.isfinite(Poisson(rate).log_prob(np.floor(rate)))
        assert np.isfinite(Poisson(rate).entropy())
    assert np.isfinite(jax.grad(lambda r: Poisson(r).entropy())(1e6))


def test_shapes_broadcast():
    p = Poisson(jnp.ones((2, 3)))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert jax.eval_shape(lambda: p.log_prob(jnp.zeros((5, 2, 3), jnp.int32))).shape == (5, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Poisson(jnp.ones(3)).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.all(np.isnan(Poisson(-1.0).log_prob(jnp.array([0.0, 2.0]))))
    assert np.isnan(Poisson(-1.0).entropy())
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="rate must be nonnegative"):
            Poisson(-1.0)

        @jax.jit
        def f(r):
            return Poisson(r).log_prob(1.0)

        with pytest.raises(Exception, match="rate must be nonnegative"):
            jax.block_until_ready(f(-0.5))
        assert np.isfinite(f(0.5))


def test_log_prob_float32_excess_bits():
    # scripts/accuracy_table.py worst point before the float32 stirlerr: x = 13, rate = 12.93
    # (4.4 excess bits).
    x = np.arange(0.0, 45.0)[:, None]
    rate = np.array([0.3, 4.5, 12.93, 20.93, 30.0])[None, :]
    gt.assert_float32_excess_bits(
        lambda x, rate: Poisson(rate).log_prob(x),
        lambda x, rate: ss.poisson.logpmf(x, rate),
        [v.ravel() for v in np.broadcast_arrays(x, rate)],
        differentiable=(1,),
    )


def test_gradient_at_zero_and_tiny_rates():
    # d/drate Poisson(rate).log_prob(0) = -1 (was NaN at rate 0 and below 1e-155)
    for rate in (0.0, 1e-300, 1e-200, 1e-155, 1e-100, 2.3e-308):
        g = jax.grad(lambda r: Poisson(r).log_prob(0.0))(rate)
        assert float(g) == -1.0, rate
    # a subnormal rate is invalid: XLA flushes it to 0, and log p(1) would be -inf, not -744.4
    assert np.isnan(Poisson(5e-324).log_prob(1.0)) and np.isnan(Poisson(5e-324).log_prob(0.0))
    assert np.isnan(Poisson(np.float32(1e-45)).log_prob(np.float32(1.0)))
    # log p(1) = log(rate) - rate, d/drate = 1/rate - 1
    for rate in (1e-300, 1e-155, 1e-20):
        gt.assert_allclose(Poisson(rate).log_prob(1.0), np.asarray(np.log(rate) - rate))
        g = jax.grad(lambda r: Poisson(r).log_prob(1.0))(rate)
        gt.assert_allclose(g, np.asarray(1 / rate - 1))
    # rate 0: the point mass at 0; counts above have no mass, value -inf with gradient 0
    assert float(Poisson(0.0).log_prob(0.0)) == 0.0
    assert float(Poisson(0.0).entropy()) == 0.0
    assert np.isneginf(Poisson(0.0).log_prob(1.0))
    assert float(jax.grad(lambda r: Poisson(r).log_prob(1.0))(0.0)) == 0.0


def test_float32_tiny_rate_and_huge_count():
    # x / rate overflows float32 (3e8 / 1e-30): log(x) - log(rate) instead
    rate, x = np.float32(1e-30), np.float32(3e8)
    mp.mp.dps = 30
    want = float(
        mp.mpf(float(x)) * mp.log(mp.mpf(float(rate)))
        - mp.mpf(float(rate))
        - mp.loggamma(mp.mpf(float(x)) + 1)
    )
    got = Poisson(jnp.float32(rate)).log_prob(jnp.float32(x))
    np.testing.assert_allclose(float(got), want, rtol=1e-6)


def test_float32_entropy_at_huge_rate():
    # f32 Poisson(1e12).entropy() was 15.256 (true 15.2344): the asymptotic series
    mp.mp.dps = 30
    for rate in (1e12, 1e30):
        lam = mp.mpf(rate)
        want = float(mp.log(2 * mp.pi * mp.e * lam) / 2 - 1 / (12 * lam) - 1 / (24 * lam**2))
        got = Poisson(jnp.float32(rate)).entropy()
        assert got.dtype == jnp.float32
        np.testing.assert_allclose(float(got), want, rtol=2e-7)
        gt.assert_allclose(Poisson(rate).entropy(), np.asarray(want), rtol=1e-14)


def test_entropy_across_the_series_switch_against_a_sum():
    # rates around 1e4, where the entropy switches from quadrature to the series: an exact
    # float64 sum over mean +- 40 sd (recurrence for log p(k) from the mode, in mpmath)
    mp.mp.dps = 30
    for rate in (9999.0, 1e4, 2.5e4):
        lam = mp.mpf(rate)
        sd = int(mp.sqrt(lam))
        k0 = int(rate) - 40 * sd
        lp = k0 * mp.log(lam) - lam - mp.loggamma(k0 + 1)
        log_lam = mp.log(lam)
        total = mp.mpf(0)
        for k in range(k0, int(rate) + 40 * sd):
            total -= mp.exp(lp) * lp
            lp += log_lam - mp.log(k + 1)
        gt.assert_allclose(Poisson(rate).entropy(), np.asarray(float(total)), rtol=1e-13)


def test_invalid_rate_gives_nan_samples_and_huge_rates_sample():
    # Poisson(-1).sample was -1. Rates whose counts overflow the integer sampler (1e12 and up)
    # use the normal approximation: still integer counts, mean within 5 standard errors.
    rates = jnp.array([-1.0, jnp.nan, 1e12, 1e18, 1e30, jnp.inf])
    draws = np.asarray(Poisson(rates).sample(jax.random.key(1), (2000,)))
    assert np.all(np.isnan(draws[:, :2]))
    big = draws[:, 2:5]
    assert np.all(np.isfinite(big)) and np.all(big == np.round(big))
    z = (draws[:, 2:4].mean(0) - np.asarray(rates[2:4])) / np.sqrt(np.asarray(rates[2:4]) / 2000)
    assert np.all(np.abs(z) < 5)
    assert np.all(np.isposinf(draws[:, 5]))
