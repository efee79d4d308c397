"""Categorical: scipy in float64, exact sums over the K categories, samples, transforms, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Categorical

K = 4
SUPPORT = jnp.arange(K, dtype=jnp.float64)[:, None]  # (K, 1) against batch_shape (3,)


@jax.jit
def _summaries(p, x):
    return p.log_prob(x), p.prob(x), p.entropy(), p.mean(), p.variance(), p.mode()


@jax.jit
def _on_support(p):
    return p.log_prob(SUPPORT)


def _reference_probs(p):
    """Normalised probabilities computed in NumPy/SciPy from the parameter given."""
    if p.probs is None:
        return np.exp(sp.log_softmax(np.asarray(p.logits), axis=-1))
    probs = np.asarray(p.probs)
    return probs / probs.sum(-1, keepdims=True)


@given(
    p=gt.categoricals(num_categories=K, batch_shape=(3,)),
    x=st.lists(st.integers(0, K - 1), min_size=3, max_size=3),
)
def test_matches_scipy(p, x):
    x = np.asarray(x)
    probs = _reference_probs(p)
    log_probs = sp.log_softmax(np.asarray(p.logits), axis=-1) if p.probs is None else np.log(probs)
    log_prob, prob, entropy, mean, variance, mode = _summaries(p, x)
    gt.assert_allclose(log_prob, np.take_along_axis(log_probs, x[:, None], -1)[:, 0])
    gt.assert_allclose(prob, np.take_along_axis(probs, x[:, None], -1)[:, 0])
    gt.assert_allclose(entropy, ss.entropy(probs, axis=-1))
    refs = [ss.rv_discrete(values=(np.arange(K), row)) for row in probs]
    gt.assert_allclose(mean, np.array([r.mean() for r in refs]))
    gt.assert_allclose(variance, np.array([r.var() for r in refs]))
    np.testing.assert_array_equal(mode, np.argmax(log_probs, -1))


@given(p=gt.categoricals(num_categories=K, batch_shape=(3,)))
def test_exact_sums(p):
    # K categories: the sums over the support are exact.
    pmf = np.exp(np.asarray(_on_support(p)))
    x = np.asarray(SUPPORT)
    gt.assert_allclose(pmf.sum(0), np.ones(3))
    mean = (x * pmf).sum(0)
    gt.assert_allclose(mean, np.asarray(p.mean()))
    gt.assert_allclose(((x - mean) ** 2 * pmf).sum(0), np.asarray(p.variance()))


@given(logits=gt.finite_arrays(shape=(3, K), min_value=-10, max_value=10))
def test_logits_and_probs_agree(logits):
    a = Categorical(logits=logits)
    b = Categorical(probs=np.asarray(jax.nn.softmax(logits, -1)))
    gt.assert_allclose(a.probs_parameter(), b.probs_parameter(), rtol=1e-12)
    gt.assert_allclose(a.logits_parameter(), b.logits_parameter(), rtol=1e-10, atol=1e-12)
    gt.assert_allclose(_on_support(a), _on_support(b), rtol=1e-10, atol=1e-12)
    # logits are defined up to an additive constant per row.
    gt.assert_allclose(Categorical(logits=logits + 3.0).entropy(), a.entropy())


def test_score_is_undefined():
    with pytest.raises(TypeError, match="undefined for the discrete distribution Categorical"):
        Categorical(logits=jnp.zeros(3)).score(1)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    probs = jnp.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.2, 0.1]])
    p = Categorical(probs=probs)
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2) and x.dtype == jnp.int32
    assert not np.any(np.asarray(x[:, 1]) == 1)  # zero-probability category never drawn
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        cdf = ss.rv_discrete(values=(np.arange(4), np.asarray(probs[i]))).cdf
        gt.assert_samples_match_cdf(x[:, i], cdf)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_float32_stays_float32(kind):
    p = Categorical(**{kind: jnp.array([0.2, 0.3, 0.5], jnp.float32)})
    for x in (jnp.array([0.0, 2.0], jnp.float32), jnp.array([0, 2], jnp.int32)):
        assert p.log_prob(x).dtype == jnp.float32
        assert p.prob(x).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "logits_parameter", "probs_parameter"):
        assert getattr(p, method)().dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.int32
    assert p.mode().dtype == jnp.int32


def test_outside_support_is_minus_inf():
    x = jnp.array([-1.0, 0.5, 4.0, jnp.inf, jnp.nan])
    p = Categorical(logits=jnp.zeros(4))
    lp = p.log_prob(x)  # off the support -inf; a NaN value (last) NaN
    assert np.all(np.isneginf(lp[:-1])) and np.isnan(lp[-1])
    assert np.all(np.isneginf(p.log_prob(jnp.array([-1, 4, 100]))))
    grad = jax.grad(lambda l: jnp.sum(Categorical(logits=l).log_prob(x)))(jnp.zeros(4))
    np.testing.assert_array_equal(grad, np.zeros(4))


def test_zero_probabilities_and_extreme_logits():
    p = Categorical(probs=jnp.array([0.0, 0.5, 0.5]))
    gt.assert_allclose(p.log_prob(jnp.arange(3)), np.array([-np.inf, np.log(0.5), np.log(0.5)]))
    gt.assert_allclose(p.entropy(), np.asarray(np.log(2.0)))
    grad = jax.grad(lambda q: Categorical(probs=q).entropy())(jnp.array([0.0, 0.5, 0.5]))
    assert np.all(np.isfinite(grad[1:]))
    q = Categorical(logits=jnp.array([-1e30, 0.0, 1e30]))
    gt.assert_allclose(q.log_prob(jnp.arange(3)), np.array([-2e30, -1e30, 0.0]))
    assert np.isfinite(q.entropy()) and float(q.entropy()) == 0.0
    r = Categorical(logits=jnp.array([-jnp.inf, 0.0, 0.0]))
    gt.assert_allclose(r.entropy(), np.asarray(np.log(2.0)))
    g = jax.grad(lambda l: Categorical(logits=l).entropy())(jnp.array([-jnp.inf, 0.0, 0.0]))
    assert not np.any(np.isnan(g))


def test_shapes_broadcast():
    p = Categorical(logits=jnp.zeros((2, 3, 5)))
    assert p.batch_shape == (2, 3) and p.event_shape == () and p.num_categories == 5
    assert jax.eval_shape(lambda: p.log_prob(jnp.zeros((7, 2, 3), jnp.int32))).shape == (7, 2, 3)
    assert jax.eval_shape(lambda: p.log_prob(jnp.zeros((7, 1, 1)))).shape == (7, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3) and jax.eval_shape(
        lambda: p.mode()
    ).shape == (2, 3)
    assert jax.eval_shape(lambda: p.probs_parameter()).shape == (2, 3, 5)


def test_bad_input():
    with pytest.raises(ValueError, match="got both"):
        Categorical(logits=jnp.zeros(3), probs=jnp.ones(3) / 3)
    with pytest.raises(ValueError, match="got neither"):
        Categorical()
    with pytest.raises(ValueError, match=r"logits needs at least 1 dimensions, got shape \(\)"):
        Categorical(logits=0.0)
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Categorical(logits=jnp.zeros((3, 2))).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    bad = jnp.array([-0.2, 0.6, 0.6])
    assert np.all(np.isnan(Categorical(probs=bad).log_prob(jnp.arange(3))))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="probs must be nonnegative"):
            Categorical(probs=bad)
        with pytest.raises(gmath.config.InvalidParameterError, match="probs must sum to 1"):
            Categorical(probs=jnp.array([0.3, 0.3]))

        @jax.jit
        def f(q):
            return Categorical(probs=q).log_prob(1)

        with pytest.raises(Exception, match="probs must be nonnegative"):
            jax.block_until_ready(f(bad))
        assert np.isfinite(f(jnp.array([0.2, 0.3, 0.5])))


def test_pytree_through_jit_vmap_grad():
    logits = jnp.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    p = Categorical(logits=logits)
    assert len(jax.tree_util.tree_leaves(p)) == 1
    # d/dlogits log p(k) = onehot(k) - softmax(logits)
    g = jax.grad(lambda p: jnp.sum(p.log_prob(jnp.array([2, 0]))))(p)
    expected = np.eye(3)[[2, 0]] - np.asarray(jax.nn.softmax(logits, -1))
    gt.assert_allclose(g.logits, expected, atol=1e-15)
    out = jax.vmap(lambda p: p.log_prob(1))(p)
    gt.assert_allclose(out, p.log_prob(1))


_EPS32 = float(np.finfo(np.float32).eps)


def _categorical_log_probs(logits):
    return Categorical(logits=logits).log_prob(jnp.arange(logits.shape[-1]))


_cat_lp = jax.jit(jax.vmap(_categorical_log_probs))
_cat_jac = jax.jit(jax.vmap(jax.jacrev(_categorical_log_probs)))


def test_log_prob_float32_excess_bits():
    # scripts/accuracy_table.py: float32 error <= 4 bits beyond the conditioning
    # max(|f|, sum_i |l_i d f / d l_i|); logits - logsumexp cancelled at the dominant class.
    rng = np.random.default_rng(3)
    base = np.array([6.36, -5.08, 7.2, -6.45, -0.4, -7.37])
    logits = base + rng.uniform(-3, 3, (64, 6))
    logits[:, 2] += np.linspace(0, 12, 64)  # dominant class log-probability down to ~-1e-8
    logits = logits.astype(np.float32).astype(np.float64)
    out = _cat_lp(jnp.asarray(logits, jnp.float32))
    assert out.dtype == jnp.float32
    out32 = np.asarray(out, np.float64)
    ref = sp.log_softmax(logits, axis=-1)
    sens = np.abs(np.asarray(_cat_jac(jnp.asarray(logits))) * logits[:, None, :]).sum(-1)
    bound = 16 * _EPS32 * np.maximum(np.abs(ref), sens)
    assert np.all(np.abs(out32 - ref) <= bound)


def test_zero_probability_gradient_is_finite():
    # Categorical(probs=[.5, .5, 0]) gradient of log_prob(0) was [1, -1, NaN]:
    # d log(pi_0 / sum pi) / d pi_i = [i = 0] / pi_0 - 1 / sum pi = [1, -1, -1]
    g = jax.grad(lambda p: Categorical(probs=p).log_prob(0))(jnp.array([0.5, 0.5, 0.0]))
    np.testing.assert_array_equal(np.asarray(g), np.array([1.0, -1.0, -1.0]))
    # the zero-probability category itself: -inf with gradient 0
    p = Categorical(probs=jnp.array([0.5, 0.5, 0.0]))
    assert np.isneginf(p.log_prob(2))
    g2 = jax.grad(lambda p: Categorical(probs=p).log_prob(2))(jnp.array([0.5, 0.5, 0.0]))
    np.testing.assert_array_equal(np.asarray(g2), np.zeros(3))


def test_invalid_parameters_give_minus_one_samples_and_mode():
    # int32 has no NaN: -1, outside the support
    key = jax.random.key(0)
    for p in (
        Categorical(probs=jnp.array([-0.5, 1.5])),
        Categorical(logits=jnp.array([jnp.nan, 0.0])),
        Categorical(logits=jnp.array([jnp.inf, 0.0])),
        Categorical(logits=jnp.array([-jnp.inf, -jnp.inf])),
    ):
        np.testing.assert_array_equal(np.asarray(p.sample(key, (4,))), -np.ones(4))
        assert int(p.mode()) == -1
        assert np.isnan(p.entropy())
    valid = Categorical(probs=jnp.array([[0.2, 0.8], [-0.1, 1.1]])).sample(key, (50,))
    assert np.all((np.asarray(valid[:, 0]) >= 0) & (np.asarray(valid[:, 0]) <= 1))
    assert np.all(np.asarray(valid[:, 1]) == -1)
