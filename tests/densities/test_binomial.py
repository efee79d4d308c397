"""Binomial: scipy/mpmath in float64, exact sums over 0..n, samples, transforms, edges."""

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
from gmath.densities import Binomial

MAX_COUNT = 50
# total_count <= 50: the support 0..50 (log_prob is -inf above n) makes the sums exact.
SUPPORT = jnp.arange(MAX_COUNT + 1, dtype=jnp.float64)[:, None]


@jax.jit
def _summaries(p, x):
    return p.log_prob(x), p.prob(x), p.entropy(), p.mean(), p.variance(), p.mode()


@jax.jit
def _on_support(p):
    return p.log_prob(SUPPORT)


_entropy = jax.jit(lambda n, q: Binomial(n, probs=q).entropy())


def _scipy(p):
    return ss.binom(np.asarray(p.total_count), np.asarray(p.probs_parameter()))


@given(
    p=gt.binomials(batch_shape=(3,), max_count=MAX_COUNT),
    u=st.lists(st.floats(0, 1), min_size=3, max_size=3),
)
def test_matches_scipy(p, u):
    n = np.asarray(p.total_count)
    x = np.floor(np.asarray(u) * (n + 1)).clip(0, n)
    ref = _scipy(p)
    probs = np.asarray(p.probs_parameter())
    log_prob, prob, entropy, mean, variance, mode = _summaries(p, x)
    gt.assert_allclose(log_prob, ref.logpmf(x))
    gt.assert_allclose(prob, ref.pmf(x), atol=1e-300)
    gt.assert_allclose(entropy, ref.entropy())
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.minimum(np.floor((n + 1) * probs), n))


@given(p=gt.binomials(batch_shape=(3,), max_count=MAX_COUNT))
def test_exact_sums(p):
    pmf = np.exp(np.asarray(_on_support(p)))
    x = np.asarray(SUPPORT)
    gt.assert_allclose(pmf.sum(0), np.ones(3))
    mean = (x * pmf).sum(0)
    gt.assert_allclose(mean, np.asarray(p.mean()))
    gt.assert_allclose(((x - mean) ** 2 * pmf).sum(0), np.asarray(p.variance()))
    terms = np.where(pmf > 0, -pmf * np.log(np.where(pmf > 0, pmf, 1.0)), 0.0)
    gt.assert_allclose(terms.sum(0), np.asarray(p.entropy()))


@given(n=st.integers(100, 100_000), q=st.floats(0.001, 0.999))
def test_entropy_large_counts_matches_scipy(n, q):
    # covers both the window sum and the quadrature (n q (1 - q) >= 196) branches.
    gt.assert_allclose(
        _entropy(jnp.array([float(n)]), jnp.array([q])), np.array([ss.binom(n, q).entropy()])
    )


def test_log_prob_large_counts_against_mpmath():
    mp.mp.dps = 40
    n = np.array([1e6, 1e9, 1e9])
    q = np.array([0.3, 1e-7, 0.5])
    k = np.floor(n * q + 2 * np.sqrt(n * q * (1 - q)))
    ref = [
        mp.log(mp.binomial(int(n_), int(k_))) + k_ * mp.log(q_) + (n_ - k_) * mp.log(1 - mp.mpf(q_))
        for n_, q_, k_ in zip(n, q, k, strict=True)
    ]
    got = Binomial(n, probs=q).log_prob(k)
    gt.assert_allclose(got, np.array([float(v) for v in ref]), rtol=1e-12)


@given(logits=gt.finite_arrays(shape=(3,), min_value=-5, max_value=5))
def test_logits_and_probs_agree(logits):
    a = Binomial(20, logits=logits)
    b = Binomial(20, probs=np.asarray(jax.nn.sigmoid(logits)))
    gt.assert_allclose(b.logits_parameter(), logits, rtol=1e-9, atol=1e-12)
    gt.assert_allclose(_on_support(a), _on_support(b), rtol=1e-9)
    gt.assert_allclose(a.entropy(), b.entropy(), rtol=1e-9)


def test_score_is_undefined():
    with pytest.raises(TypeError, match="undefined for the discrete distribution Binomial"):
        Binomial(5, probs=0.3).score(1.0)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Binomial(jnp.array([1.0, 12.0, 400.0]), logits=jnp.array([0.3, -1.0, 2.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 3) and x.dtype == jnp.float64
    gt.assert_mean_matches(x, p.mean(), p.variance())
    probs = np.asarray(p.probs_parameter())
    for i in range(3):
        gt.assert_samples_match_cdf(x[:, i], ss.binom(float(p.total_count[i]), probs[i]).cdf)


def test_transforms_agree():
    counts = jnp.array([1.0, 10.0, 30.0, 500.0])
    probs = jnp.array([0.5, 0.2, 0.9, 0.6])
    xs = jnp.array([1.0, 3.0, 28.0, 310.0])
    fn = lambda n, q, x: Binomial(n, probs=q).log_prob(x)
    gt.assert_transform_consistent(fn, counts, probs, xs)
    gt.assert_transform_consistent(lambda n, q: Binomial(n, probs=q).entropy(), counts, probs)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_float32_stays_float32(kind):
    for n in (jnp.float32(8.0), jnp.int32(8), 8):
        p = Binomial(n, **{kind: jnp.float32(0.3)})
        for x in (jnp.array([0.0, 4.0], jnp.float32), jnp.array([0, 4], jnp.int32)):
            assert p.log_prob(x).dtype == jnp.float32
            assert p.prob(x).dtype == jnp.float32
        for method in ("entropy", "mean", "variance", "mode", "logits_parameter"):
            assert getattr(p, method)().dtype == jnp.float32
        assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32


def test_integer_total_count_array_broadcasts():
    p = Binomial(jnp.array([[3], [10]], jnp.int32), probs=jnp.array([0.2, 0.5, 0.7]))
    assert p.batch_shape == (2, 3)
    x = jnp.array([2, 2, 2], jnp.int32)
    ref = ss.binom(np.array([[3], [10]]), np.array([0.2, 0.5, 0.7])).logpmf(2)
    gt.assert_allclose(p.log_prob(x), ref)
    gt.assert_allclose(p.mean(), np.array([[3], [10]]) * np.array([0.2, 0.5, 0.7]))


def test_outside_support_is_minus_inf_with_zero_gradient():
    x = jnp.array([-1.0, 0.5, 6.0, jnp.inf, jnp.nan])
    for kind in ("logits", "probs"):
        p = Binomial(5, **{kind: 0.3})
        lp = p.log_prob(x)  # off the support -inf; a NaN value (last) NaN
        assert np.all(np.isneginf(lp[:-1])) and np.isnan(lp[-1])
        grad = jax.grad(lambda v, kind=kind: jnp.sum(Binomial(5, **{kind: v}).log_prob(x)))(0.3)
        assert grad == 0.0


def test_gradients_and_edges():
    # d/dp log p(k) = k / p - (n - k) / (1 - p)
    k = jnp.array([0.0, 7.0, 20.0])
    g = jax.vmap(jax.grad(lambda q, k: Binomial(20, probs=q).log_prob(k)), (None, 0))(0.3, k)
    gt.assert_allclose(g, np.asarray(k) / 0.3 - (20 - np.asarray(k)) / 0.7)
    # n = 0: all mass at 0; p in {0, 1}: degenerate
    gt.assert_allclose(
        Binomial(0, probs=0.3).log_prob(jnp.array([0.0, 1.0])), np.array([0.0, -np.inf])
    )
    gt.assert_allclose(
        Binomial(4, probs=1.0).log_prob(jnp.array([4.0, 3.0])), np.array([0.0, -np.inf])
    )
    gt.assert_allclose(
        Binomial(4, probs=0.0).log_prob(jnp.array([0.0, 1.0])), np.array([0.0, -np.inf])
    )
    assert float(Binomial(4, probs=1.0).entropy()) == 0.0
    # extreme logits and counts stay finite
    p = Binomial(1e12, logits=jnp.array([-60.0, 0.0, 60.0]))
    assert np.all(np.isfinite(p.log_prob(jnp.floor(p.mean()))))
    assert np.all(np.isfinite(p.entropy()))


def test_shapes_broadcast():
    p = Binomial(jnp.full((2, 1), 7.0), logits=jnp.zeros(3))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert jax.eval_shape(lambda: p.log_prob(jnp.zeros((5, 2, 3), jnp.int32))).shape == (5, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3) and jax.eval_shape(
        lambda: p.mode()
    ).shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match="got both"):
        Binomial(3, logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="got neither"):
        Binomial(3)
    with pytest.raises(ValueError, match=r"total_count with shape \(2,\).*probs with shape \(3,\)"):
        Binomial(jnp.ones(2), probs=jnp.full(3, 0.5))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Binomial(3, probs=jnp.full(3, 0.5)).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    for n, q in ((-1.0, 0.5), (2.5, 0.5), (3.0, 1.5)):
        assert np.all(np.isnan(Binomial(n, probs=q).log_prob(jnp.array([0.0, 2.0]))))
        assert np.isnan(Binomial(n, probs=q).entropy())
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="nonnegative integer"):
            Binomial(2.5, probs=0.5)
        with pytest.raises(gmath.config.InvalidParameterError, match=r"probs must lie in \[0, 1\]"):
            Binomial(3, probs=1.5)

        @jax.jit
        def f(n):
            return Binomial(n, probs=0.5).log_prob(1.0)

        with pytest.raises(Exception, match="nonnegative integer"):
            jax.block_until_ready(f(-3.0))
        assert np.isfinite(f(4.0))


def test_log_prob_float32_excess_bits():
    # scripts/accuracy_table.py worst point before the float32 stirlerr: x = 10, n = 23,
    # logits = -0.093 (5.2 excess bits).
    x = np.arange(0.0, 49.0)[:, None, None]
    n = np.array([23.0, 48.0])[None, :, None]
    logits = np.array([-2.0, -0.093, 0.0094, 1.5])[None, None, :]
    x, n, logits = np.broadcast_arrays(x, n, logits)
    keep = x <= n
    gt.assert_float32_excess_bits(
        lambda x, n, logits: Binomial(n, logits=logits).log_prob(x),
        lambda x, n, logits: ss.binom.logpmf(x, n, 1 / (1 + np.exp(-logits))),
        [x[keep], n[keep], logits[keep]],
        differentiable=(2,),
    )


def _binomial_grad_logits_oracle(n, k, logits):
    """d/dl log p(k) = k - n sigma(l), in mpmath."""
    mp.mp.dps = 30
    return float(k - n / (1 + mp.exp(-mp.mpf(float(logits)))))


@pytest.mark.parametrize("logits", [-104.0, -88.0, -50.0, -20.0, -10.0, 10.0, 20.0, 88.0])
def test_float32_gradient_at_saturated_logits_is_finite_and_accurate(logits):
    # f32 Binomial gradients at |logits| >~ 10 were NaN (a Horner series overflowing in the
    # branch not taken)
    for k in (0.0, 3.0, 10.0):
        g = jax.grad(lambda v, k=k: Binomial(10, logits=v).log_prob(k))(jnp.float32(logits))
        assert g.dtype == jnp.float32
        want = _binomial_grad_logits_oracle(10, k, np.float32(logits))
        np.testing.assert_allclose(float(g), want, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("probs", [1e-5, 1e-7, 1e-20, 0.5])
def test_float32_gradient_at_small_probs_is_finite_and_accurate(probs):
    # f32 Binomial gradients at probs <= 1e-5 were NaN
    p32 = np.float32(probs)
    g = jax.grad(lambda v: Binomial(10, probs=v).log_prob(3.0))(jnp.float32(probs))
    want = 3 / float(p32) - 7 / (1 - float(p32))
    np.testing.assert_allclose(float(g), want, rtol=1e-6)


def test_point_mass_gradients_are_finite():
    # Binomial(10, p=0).log_prob(0): d/dp = -10 (was NaN); p = 1 at x = n: +10
    g0 = jax.grad(lambda v: Binomial(10, probs=v).log_prob(0.0))(0.0)
    assert float(g0) == -10.0
    g1 = jax.grad(lambda v: Binomial(10, probs=v).log_prob(10.0))(1.0)
    assert float(g1) == 10.0
    # logits -inf / +inf are the limits p = 0 / 1: d/dl log p(0) = -n sigma(l) -> 0
    for l_, k in ((-jnp.inf, 0.0), (jnp.inf, 10.0)):
        p = Binomial(10, logits=l_)
        assert float(p.log_prob(k)) == 0.0
        assert float(jax.grad(lambda v, k=k: Binomial(10, logits=v).log_prob(k))(l_)) == 0.0
    # points without mass: -inf, gradient 0
    for q, k in ((0.0, 3.0), (1.0, 3.0), (0.0, 10.0), (1.0, 0.0)):
        assert np.isneginf(Binomial(10, probs=q).log_prob(k))
        assert float(jax.grad(lambda v, k=k: Binomial(10, probs=v).log_prob(k))(q)) == 0.0


def test_point_masses_are_exact():
    # p in {0, 1}: log_prob 0 at the atom, entropy 0, no NaN
    for q, atom in ((0.0, 0.0), (1.0, 10.0)):
        p = Binomial(10, probs=q)
        assert float(p.log_prob(atom)) == 0.0
        assert float(p.entropy()) == 0.0
        assert float(p.variance()) == 0.0


def test_invalid_parameters_give_nan_samples():
    key = jax.random.key(0)
    for p in (
        Binomial(-3, probs=0.5),
        Binomial(2.5, probs=0.5),
        Binomial(3, probs=1.5),
        Binomial(3, probs=-0.1),
        Binomial(3, logits=jnp.nan),
    ):
        assert np.all(np.isnan(p.sample(key, (4,))))


def test_entropy_large_variance_series_against_mpmath():
    # n p q >= 1e4: the Edgeworth series; float32 at n = 1e9 loses no digits (a quadrature over
    # nodes near 5e8 would: their spacing in float32 is 32)
    mp.mp.dps = 30

    def exact(n, q):  # -sum p log p summed in mpmath over mean +- 40 sd (Stirling's log-gamma)
        n, q = mp.mpf(n), mp.mpf(q)
        mean, sd = n * q, mp.sqrt(n * q * (1 - q))
        lo, hi = int(max(0, mean - 40 * sd)), int(min(n, mean + 40 * sd))
        lp = (
            mp.loggamma(n + 1)
            - mp.loggamma(lo + 1)
            - mp.loggamma(n - lo + 1)
            + lo * mp.log(q)
            + (n - lo) * mp.log1p(-q)
        )
        log_odds = mp.log(q) - mp.log1p(-q)
        total = mp.mpf(0)
        for k in range(lo, hi + 1):  # log p(k + 1) = log p(k) + log((n - k) / (k + 1)) + log odds
            total -= mp.exp(lp) * lp
            lp += mp.log((n - k) / (k + 1)) + log_odds
        return float(total)

    for n, q in ((4e4, 0.5), (1e5, 0.2)):
        want = exact(n, q)
        gt.assert_allclose(Binomial(n, probs=q).entropy(), np.asarray(want), rtol=1e-12)
    # float32 at n = 1e9, p = 1/2: gamma_1 = 0, gamma_2 = -1/(2 var), so
    # H = log(2 pi e var) / 2 - 1 / (192 var^2) + O(var^-3) (Edgeworth; the rest below 1e-25)
    var = 1e9 * 0.25
    want = 0.5 * np.log(2 * np.pi * np.e * var) - 1 / (192 * var**2)
    got = Binomial(jnp.float32(1e9), probs=jnp.float32(0.5)).entropy()
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(float(got), want, rtol=3e-7)
