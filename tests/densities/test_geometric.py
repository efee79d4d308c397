"""Geometric (failures before the first success): scipy in float64, truncated sums, samples."""

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
from gmath.densities import Geometric

# gt.geometrics draws p >= sigmoid(-5) = 0.00669: the mass at k >= 6000 is
# (1 - p)^6000 <= exp(-6000 * 0.00669) < 4e-18, so sums over 0..5999 are exact to rounding.
SUPPORT = jnp.arange(6000, dtype=jnp.float64)[:, None]


@jax.jit
def _summaries(p, x):
    return p.log_prob(x), p.prob(x), p.entropy(), p.mean(), p.variance(), p.mode()


@jax.jit
def _on_support(p):
    return p.log_prob(SUPPORT)


def _scipy(p):
    # scipy's geom counts trials (support 1, 2, ...); nbinom(1, p) counts failures.
    return ss.nbinom(1, np.asarray(p.probs_parameter()))


@given(p=gt.geometrics(batch_shape=(3,)), x=st.lists(st.integers(0, 300), min_size=3, max_size=3))
def test_matches_scipy(p, x):
    x = np.asarray(x)
    ref = _scipy(p)
    probs = np.asarray(p.probs_parameter())
    log_prob, prob, entropy, mean, variance, mode = _summaries(p, x)
    gt.assert_allclose(log_prob, ref.logpmf(x))
    gt.assert_allclose(prob, ref.pmf(x), atol=1e-300)
    gt.assert_allclose(entropy, ss.geom(probs).entropy())  # shifting by 1 keeps the entropy
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.zeros(3))


@given(p=gt.geometrics(batch_shape=(3,)))
def test_truncated_sums(p):
    pmf = np.exp(np.asarray(_on_support(p)))
    x = np.asarray(SUPPORT)
    gt.assert_allclose(pmf.sum(0), np.ones(3))
    mean = (x * pmf).sum(0)
    gt.assert_allclose(mean, np.asarray(p.mean()))
    gt.assert_allclose(((x - mean) ** 2 * pmf).sum(0), np.asarray(p.variance()))
    terms = np.where(pmf > 0, -pmf * np.log(np.where(pmf > 0, pmf, 1.0)), 0.0)
    gt.assert_allclose(terms.sum(0), np.asarray(p.entropy()))


@given(logits=gt.finite_arrays(shape=(3,), min_value=-5, max_value=5))
def test_logits_and_probs_agree(logits):
    a = Geometric(logits=logits)
    b = Geometric(probs=np.asarray(jax.nn.sigmoid(logits)))
    gt.assert_allclose(b.logits_parameter(), logits, rtol=1e-9, atol=1e-12)
    for fn in (lambda p: p.log_prob(jnp.array([0.0, 3.0, 40.0])), lambda p: p.entropy()):
        gt.assert_allclose(fn(a), fn(b), rtol=1e-9)
    gt.assert_allclose(a.mean(), b.mean(), rtol=1e-9)
    gt.assert_allclose(a.variance(), b.variance(), rtol=1e-9)


def test_score_is_undefined():
    with pytest.raises(TypeError, match="undefined for the discrete distribution Geometric"):
        Geometric(probs=0.3).score(1.0)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    for p in (Geometric(logits=jnp.array([-2.0, 1.5])), Geometric(probs=jnp.array([0.05, 0.9]))):
        x = p.sample(jax.random.key(0), (20_000,))
        assert x.shape == (20_000, 2) and x.dtype == jnp.float64
        gt.assert_mean_matches(x, p.mean(), p.variance())
        for i in range(2):
            gt.assert_samples_match_cdf(x[:, i], ss.nbinom(1, float(p.probs_parameter()[i])).cdf)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_float32_stays_float32(kind):
    p = Geometric(**{kind: jnp.float32(0.3)})
    for x in (jnp.array([0.0, 4.0], jnp.float32), jnp.array([0, 4], jnp.int32)):
        assert p.log_prob(x).dtype == jnp.float32
        assert p.prob(x).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode", "logits_parameter", "probs_parameter"):
        assert getattr(p, method)().dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32


def test_outside_support_is_minus_inf_with_zero_gradient():
    x = jnp.array([-1.0, 0.5, jnp.inf, jnp.nan])
    for kind in ("logits", "probs"):
        p = Geometric(**{kind: 0.3})
        lp = p.log_prob(x)  # off the support -inf; a NaN value (last) NaN
        assert np.all(np.isneginf(lp[:-1])) and np.isnan(lp[-1])
        grad = jax.grad(lambda v, kind=kind: jnp.sum(Geometric(**{kind: v}).log_prob(x)))(0.3)
        assert grad == 0.0


def test_extreme_parameters():
    p = Geometric(logits=jnp.array([-700.0, -30.0, 30.0, 700.0]))
    for k in (0.0, 1.0, 1e6):
        assert np.all(np.isfinite(p.log_prob(k)))
    assert np.all(np.isfinite(p.entropy())) and np.all(np.asarray(p.entropy()) >= 0)
    gt.assert_allclose(p.mean()[1:3], np.exp([30.0, -30.0]))
    # d/dlogits log p(k) = sigmoid(-l) - k sigmoid(l)
    g = jax.grad(lambda l: Geometric(logits=l).log_prob(4.0))(0.7)
    gt.assert_allclose(g, np.asarray(jax.nn.sigmoid(-0.7) - 4 * jax.nn.sigmoid(0.7)))
    certain = Geometric(probs=1.0)
    gt.assert_allclose(certain.log_prob(jnp.array([0.0, 1.0])), np.array([0.0, -np.inf]))
    assert float(certain.entropy()) == 0.0
    assert float(certain.sample(jax.random.key(0))) == 0.0


def test_shapes_broadcast():
    p = Geometric(logits=jnp.zeros((2, 3)))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert jax.eval_shape(lambda: p.log_prob(jnp.zeros((5, 2, 3), jnp.int32))).shape == (5, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3) and jax.eval_shape(
        lambda: p.mode()
    ).shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match="got both"):
        Geometric(logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="got neither"):
        Geometric()
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Geometric(probs=jnp.full(3, 0.5)).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    for bad in (0.0, 1.5, -0.5):
        assert np.all(np.isnan(Geometric(probs=bad).log_prob(jnp.array([0.0, 2.0]))))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match=r"probs must lie in \(0, 1\]"):
            Geometric(probs=0.0)

        @jax.jit
        def f(q):
            return Geometric(probs=q).log_prob(1.0)

        with pytest.raises(Exception, match=r"probs must lie in \(0, 1\]"):
            jax.block_until_ready(f(1.5))
        assert np.isfinite(f(0.4))


def test_point_mass_gradient_is_finite():
    # d/dp Geometric(probs=1).log_prob(0) = d/dp log p = 1 (was NaN); k >= 1: no mass, -inf with
    # gradient 0
    assert float(jax.grad(lambda p: Geometric(probs=p).log_prob(0.0))(1.0)) == 1.0
    assert np.isneginf(Geometric(probs=1.0).log_prob(3.0))
    assert float(jax.grad(lambda p: Geometric(probs=p).log_prob(3.0))(1.0)) == 0.0
    p = Geometric(logits=jnp.inf)  # the limit p = 1
    assert float(p.log_prob(0.0)) == 0.0
    assert float(p.entropy()) == 0.0 and float(p.mean()) == 0.0 and float(p.variance()) == 0.0


def test_entropy_at_saturated_logits():
    # Geometric(logits=-1e4).entropy() was NaN: H = softplus(-l) + e^-l softplus(l) -> -l + 1
    mp.mp.dps = 40

    def exact(logits):
        # -log p = log1p(e^-l), q / p = e^-l, log q = -log1p(e^l): no digits lost to 1 - p
        lg = mp.mpf(logits)
        return float(mp.log1p(mp.exp(-lg)) + mp.exp(-lg) * mp.log1p(mp.exp(lg)))

    for logits in (-1e4, -800.0, -100.0, -30.0, -1.0, 1.0, 30.0, 100.0):
        gt.assert_allclose(Geometric(logits=logits).entropy(), np.asarray(exact(logits)))
    assert float(Geometric(logits=1e4).entropy()) == 0.0
    h32 = Geometric(logits=jnp.float32(-1e4)).entropy()
    assert h32.dtype == jnp.float32 and float(h32) == 10001.0
    # moments overflow to inf at logits -1e4, vanish at +1e4
    assert np.isposinf(Geometric(logits=-1e4).mean())
    assert np.isposinf(Geometric(logits=-1e4).variance())
    assert float(Geometric(logits=1e4).mean()) == 0.0
    # logits -inf (p = 0) is no distribution: NaN
    p0 = Geometric(logits=-jnp.inf)
    for v in (p0.entropy(), p0.mean(), p0.variance(), p0.log_prob(0.0)):
        assert np.isnan(v)
