"""Bernoulli: scipy.stats in float64, exact sums over {0, 1}, samples, transforms, edges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Bernoulli

SUPPORT = jnp.array([0.0, 1.0])[:, None]  # (2, 1): broadcasts against batch_shape (3,)


@jax.jit
def _summaries(p, x):
    return p.log_prob(x), p.prob(x), p.entropy(), p.mean(), p.variance(), p.mode()


@jax.jit
def _on_support(p):
    return p.log_prob(SUPPORT)


@given(p=gt.bernoullis(batch_shape=(3,)), x=st.lists(st.integers(0, 1), min_size=3, max_size=3))
def test_matches_scipy(p, x):
    x = np.asarray(x)
    probs = np.asarray(p.probs_parameter())
    ref = ss.bernoulli(probs)
    log_prob, prob, entropy, mean, variance, mode = _summaries(p, x)
    gt.assert_allclose(log_prob, ref.logpmf(x))
    gt.assert_allclose(prob, ref.pmf(x))
    gt.assert_allclose(entropy, ref.entropy())
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    # mode: 1 where p > 1/2, decided on the parameter given (tiny logits round p to 1/2).
    above = probs > 0.5 if p.logits is None else np.asarray(p.logits) > 0
    gt.assert_allclose(mode, above.astype(np.float64))


@given(p=gt.bernoullis(batch_shape=(3,)))
def test_exact_sums(p):
    # the support {0, 1} is finite: the sums are exact.
    pmf = np.exp(np.asarray(_on_support(p)))
    x = np.asarray(SUPPORT)
    gt.assert_allclose(pmf.sum(0), np.ones(3))
    mean = (x * pmf).sum(0)
    gt.assert_allclose(mean, np.asarray(p.mean()))
    gt.assert_allclose(((x - mean) ** 2 * pmf).sum(0), np.asarray(p.variance()))
    entropy = -(pmf * np.log(pmf)).sum(0)
    gt.assert_allclose(entropy, np.asarray(p.entropy()))


@given(logits=gt.finite_arrays(shape=(3,), min_value=-10, max_value=10))
def test_logits_and_probs_agree(logits):
    a = Bernoulli(logits=logits)
    b = Bernoulli(probs=np.asarray(jax.nn.sigmoid(logits)))
    gt.assert_allclose(a.probs_parameter(), b.probs_parameter())
    gt.assert_allclose(b.logits_parameter(), logits, atol=1e-12)
    for fn in (_on_support, lambda p: p.entropy(), lambda p: p.variance()):
        gt.assert_allclose(fn(a), fn(b), rtol=1e-9)


def test_score_is_undefined():
    with pytest.raises(TypeError, match="undefined for the discrete"):
        Bernoulli(probs=0.3).score(1.0)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    for p in (Bernoulli(logits=jnp.array([-1.5, 0.3])), Bernoulli(probs=jnp.array([0.1, 0.8]))):
        x = p.sample(jax.random.key(0), (20_000,))
        assert x.shape == (20_000, 2)
        gt.assert_mean_matches(x, p.mean(), p.variance())
        probs = np.asarray(p.probs_parameter())
        for i in range(2):
            gt.assert_samples_match_cdf(x[:, i], ss.bernoulli(probs[i]).cdf)


def test_transforms_agree():
    logits = jnp.linspace(-3.0, 3.0, 4)
    xs = jnp.array([0.0, 1.0, 1.0, 0.0])
    gt.assert_transform_consistent(lambda l, x: Bernoulli(logits=l).log_prob(x), logits, xs)
    gt.assert_transform_consistent(
        lambda p: (p.entropy(), p.mean(), p.variance()), Bernoulli(probs=jnp.linspace(0, 1, 4))
    )


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_float32_stays_float32(kind):
    p = Bernoulli(**{kind: jnp.float32(0.3)})
    x = jnp.array([0.0, 1.0], jnp.float32)
    for method in ("log_prob", "prob"):
        assert getattr(p, method)(x).dtype == jnp.float32
        assert getattr(p, method)(jnp.array([0, 1], jnp.int32)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode", "logits_parameter", "probs_parameter"):
        assert getattr(p, method)().dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32


def test_integer_and_boolean_values():
    p = Bernoulli(probs=jnp.array([0.2, 0.7]))
    expected = np.log([0.8, 0.7])
    gt.assert_allclose(p.log_prob(jnp.array([0, 1])), expected)
    gt.assert_allclose(p.log_prob(np.array([False, True])), expected)
    gt.assert_allclose(p.log_prob(jnp.array([0, 1], jnp.int32)), expected)


def test_outside_support_is_minus_inf_with_zero_gradient():
    x = jnp.array([-1.0, 0.5, 2.0, jnp.inf, jnp.nan])
    for kind in ("logits", "probs"):
        p = Bernoulli(**{kind: 0.3})
        lp = p.log_prob(x)  # off the support -inf; a NaN value (last) NaN
        assert np.all(np.isneginf(lp[:-1])) and np.isnan(lp[-1])
        grad = jax.grad(lambda v, x=x, kind=kind: jnp.sum(Bernoulli(**{kind: v}).log_prob(x)))(0.3)
        assert grad == 0.0


def test_extreme_parameters():
    logits = jnp.array([-1e30, -700.0, 700.0, 1e30])
    p = Bernoulli(logits=logits)
    for x in (0.0, 1.0):
        assert np.all(np.isfinite(p.log_prob(x)))
    gt.assert_allclose(p.log_prob(1.0), np.array([-1e30, -700.0, -np.exp(-700.0), 0.0]))
    assert np.all(np.isfinite(p.entropy())) and np.all(np.asarray(p.entropy()) >= 0)
    q = Bernoulli(probs=jnp.array([0.0, 1e-300, 1.0]))
    gt.assert_allclose(q.log_prob(1.0), np.array([-np.inf, np.log(1e-300), 0.0]))
    gt.assert_allclose(q.entropy(), np.array([0.0, -1e-300 * np.log(1e-300) + 1e-300, 0.0]))


def test_shapes_broadcast():
    p = Bernoulli(logits=jnp.zeros((2, 3)))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert jax.eval_shape(lambda: p.log_prob(jnp.zeros((5, 2, 3)))).shape == (5, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3)
    assert jax.eval_shape(lambda: Bernoulli(logits=0.0).log_prob(jnp.zeros(4))).shape == (4,)


def test_bad_input():
    with pytest.raises(ValueError, match="exactly one of logits= or probs=, got both"):
        Bernoulli(logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="got neither"):
        Bernoulli()
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Bernoulli(probs=jnp.full(3, 0.5)).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.all(np.isnan(Bernoulli(probs=1.5).log_prob(jnp.array([0.0, 1.0]))))
    assert np.all(np.isnan(Bernoulli(probs=-0.5).log_prob(jnp.array([0.0, 1.0]))))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match=r"probs must lie in \[0, 1\]"):
            Bernoulli(probs=1.5)

        @jax.jit
        def f(q):
            return Bernoulli(probs=q).log_prob(1.0)

        with pytest.raises(Exception, match=r"probs must lie in \[0, 1\]"):
            jax.block_until_ready(f(-0.1))
        assert np.isfinite(f(0.4))


def test_pytree_through_jit_vmap_grad():
    p = Bernoulli(logits=jnp.array([0.0, 1.0]))
    assert len(jax.tree_util.tree_leaves(p)) == 1
    gt.assert_allclose(jax.jit(lambda p: p.log_prob(1.0))(p), p.log_prob(1.0))
    # d/dlogits log p(1) = sigmoid(-logits)
    g = jax.grad(lambda p: jnp.sum(p.log_prob(1.0)))(p)
    gt.assert_allclose(g.logits, np.asarray(jax.nn.sigmoid(-p.logits)))
    assert g.probs is None
    out = jax.vmap(lambda p: p.log_prob(0.0))(p)
    gt.assert_allclose(out, p.log_prob(0.0))


def test_point_mass_gradients_are_finite():
    # d/dp Bernoulli(probs=0).log_prob(0) was NaN (true -1); d/dp at p = 1 of log_prob(1) is 1
    assert float(jax.grad(lambda p: Bernoulli(probs=p).log_prob(0))(0.0)) == -1.0
    assert float(jax.grad(lambda p: Bernoulli(probs=p).log_prob(1))(1.0)) == 1.0
    # no mass: -inf with gradient 0
    assert np.isneginf(Bernoulli(probs=0.0).log_prob(1))
    assert float(jax.grad(lambda p: Bernoulli(probs=p).log_prob(1))(0.0)) == 0.0
    # logits +-inf: the limits p = 1 and p = 0, exact, finite gradients
    for logits, atom in ((jnp.inf, 1), (-jnp.inf, 0)):
        assert float(Bernoulli(logits=logits).log_prob(atom)) == 0.0
        assert float(Bernoulli(logits=logits).entropy()) == 0.0
        g = jax.grad(lambda v, atom=atom: Bernoulli(logits=v).log_prob(atom))(logits)
        assert float(g) == 0.0


def test_point_masses_are_exact():
    for q, atom in ((0.0, 0), (1.0, 1)):
        p = Bernoulli(probs=q)
        assert float(p.log_prob(atom)) == 0.0
        assert float(p.entropy()) == 0.0
        assert float(p.variance()) == 0.0


def test_invalid_parameters_give_nan_samples():
    key = jax.random.key(0)
    for p in (Bernoulli(probs=1.5), Bernoulli(probs=-0.5), Bernoulli(logits=jnp.nan)):
        assert np.all(np.isnan(p.sample(key, (4,))))
        assert np.isnan(p.entropy())
