"""score(), jacobian_trace() and jacobian_trace_estimate(): exact trace, Hutchinson unbiasedness and its variance formulas
(Gaussian 2||J_s||_F^2, Rademacher 2(||J_s||_F^2 - sum J_ii^2)), Hutch++."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import gmath.scores as gs
import gmath.testing as gt
from gmath.densities import Normal

D = 4
RNG = np.random.default_rng(0)
J = RNG.standard_normal((D, D))
B = RNG.standard_normal((D, D)) * 0.3


def field(x):
    # nonlinear field with a non-symmetric Jacobian J + B diag(cos x)
    return J @ x + B @ jnp.sin(x)


def jacobian_at(x):
    return np.asarray(jax.jacfwd(field)(jnp.asarray(x)))


EXACT = {c: jax.jit(lambda x, c=c: gs.jacobian_trace(field, x, chunk_size=c)) for c in (1, 3, None)}


@given(x=gt.finite_arrays(shape=(D,), min_value=-3, max_value=3))
def test_exact_matches_jacobian_trace(x):
    ref = np.trace(jacobian_at(x))
    for fn in EXACT.values():
        gt.assert_allclose(fn(x), np.asarray(ref), rtol=1e-12, atol=1e-12)


def test_exact_any_shape_and_score():
    a = jnp.arange(6.0).reshape(2, 3)
    f = lambda x: a * x**2  # divergence sum 2 a x
    x = jnp.linspace(-1, 1, 6).reshape(2, 3)
    gt.assert_allclose(gs.jacobian_trace(f, x), jnp.sum(2 * a * x))
    # score = grad log p; the divergence of a Gaussian score is -d / s^2
    p = Normal(0.5, 2.0)
    s = gs.score(lambda v: jnp.sum(p.log_prob(v)))
    v = jnp.array([0.1, -1.0, 3.0])
    gt.assert_allclose(s(v), p.score(v))
    gt.assert_allclose(gs.jacobian_trace(s, v), jnp.asarray(-3 / 4.0))
    # extra arguments are passed through, not differentiated
    s2 = gs.score(lambda v, m: -0.5 * jnp.sum((v - m) ** 2))
    gt.assert_allclose(s2(v, 1.0), 1.0 - v)


ALL_SIGNS = np.array(list(itertools.product([-1.0, 1.0], repeat=D)))
HUTCH_TERMS = jax.jit(
    jax.vmap(
        lambda x, v: gs.jacobian_trace_estimate(None, field, x, num_probes=1, probes=v[None]).value,
        in_axes=(None, 0),
    )
)


@given(x=gt.finite_arrays(shape=(D,), min_value=-3, max_value=3))
def test_hutchinson_rademacher_unbiased_with_exact_variance(x):
    # Enumerating all 2^d sign vectors computes the expectation over Rademacher probes exactly.
    jac = jacobian_at(x)
    sym = (jac + jac.T) / 2
    terms = np.asarray(HUTCH_TERMS(x, ALL_SIGNS))
    gt.assert_allclose(terms.mean(), np.trace(jac), rtol=1e-12, atol=1e-12)
    var = 2 * (np.sum(sym**2) - np.sum(np.diag(jac) ** 2))
    gt.assert_allclose(terms.var(), var, rtol=1e-10, atol=1e-12)
    # the estimator over all probes at once: value = mean, stderr^2 (n - 1) = population variance
    est = gs.jacobian_trace_estimate(None, field, x, num_probes=len(ALL_SIGNS), probes=ALL_SIGNS)
    gt.assert_allclose(est.value, np.trace(jac), rtol=1e-12, atol=1e-12)
    gt.assert_allclose(est.stderr**2 * (len(ALL_SIGNS) - 1), var, rtol=1e-10, atol=1e-12)


# Gauss-Hermite tensor grid, 3 nodes per axis: exact for E[(v^T J v)^k], k <= 2, v ~ N(0, I).
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(3)
GH_PROBES = np.array(list(itertools.product(_NODES, repeat=D)))
GH_WEIGHTS = np.prod(np.array(list(itertools.product(_WEIGHTS, repeat=D))), axis=1)
GH_WEIGHTS = GH_WEIGHTS / GH_WEIGHTS.sum()


@given(x=gt.finite_arrays(shape=(D,), min_value=-3, max_value=3))
def test_hutchinson_gaussian_unbiased_with_exact_variance(x):
    jac = jacobian_at(x)
    sym = (jac + jac.T) / 2
    terms = np.asarray(HUTCH_TERMS(x, GH_PROBES))
    mean = np.sum(GH_WEIGHTS * terms)
    gt.assert_allclose(mean, np.trace(jac), rtol=1e-12, atol=1e-12)
    var = np.sum(GH_WEIGHTS * (terms - mean) ** 2)
    gt.assert_allclose(var, 2 * np.sum(sym**2), rtol=1e-10)


HUTCHPP_TERMS = jax.jit(
    jax.vmap(
        lambda x, probes: (
            gs.jacobian_trace_estimate(
                None, field, x, method="hutch++", num_probes=3, probes=probes
            ).value
        ),
        in_axes=(None, 0),
    )
)


def test_hutch_plus_plus_unbiased_given_the_sketch_and_exact_at_low_rank():
    x = jnp.array([0.3, -0.2, 1.0, 0.5])
    sketch = np.array([1.0, -1.0, 1.0, 1.0])
    probes = np.stack([np.stack([sketch, np.zeros(D), g]) for g in ALL_SIGNS])
    terms = np.asarray(HUTCHPP_TERMS(x, probes))
    gt.assert_allclose(terms.mean(), np.trace(jacobian_at(x)), rtol=1e-12)
    # rank-one J = u w^T: the sketch captures it, the residual vanishes
    u, w = jnp.array([1.0, 2.0, -1.0, 0.5]), jnp.array([0.5, -1.0, 3.0, 2.0])
    est = gs.jacobian_trace_estimate(
        jax.random.key(0), lambda v: u * jnp.dot(w, v), x, method="hutch++", num_probes=6
    )
    gt.assert_allclose(est.value, jnp.dot(u, w), rtol=1e-12)
    gt.assert_allclose(est.stderr, jnp.asarray(0.0), atol=1e-12)


def test_estimates_with_keys_are_consistent():
    # False-failure probability: |mean - tr| > 6 stderr has probability < 1e-6 for this
    # (approximately normal, n = 4000) mean; stderr itself is estimated from the same draw.
    x = jnp.array([0.3, -0.2, 1.0, 0.5])
    tr = np.trace(jacobian_at(x))
    for method, probe in [
        ("hutchinson", "rademacher"),
        ("hutchinson", "gaussian"),
        ("hutch++", "gaussian"),
    ]:
        est = gs.jacobian_trace_estimate(
            jax.random.key(1), field, x, method=method, num_probes=4002, probe=probe
        )
        assert isinstance(est, gs.Estimate)
        assert abs(float(est.value) - tr) < 6 * float(est.stderr) + 1e-12, (method, probe)
    one = gs.jacobian_trace_estimate(jax.random.key(0), field, x)
    assert np.isnan(one.stderr)


def test_dtype_transforms_and_bad_input():
    x32 = jnp.ones(D, jnp.float32)
    f32 = lambda x: jnp.asarray(J, jnp.float32) @ x
    assert gs.jacobian_trace(f32, x32).dtype == jnp.float32
    est = gs.jacobian_trace_estimate(jax.random.key(0), f32, x32, num_probes=2)
    assert est.value.dtype == jnp.float32 and est.stderr.dtype == jnp.float32
    gt.assert_transform_consistent(lambda x: gs.jacobian_trace(field, x), jnp.ones((3, D)))
    keys = jax.random.split(jax.random.key(0), 3)
    gt.assert_transform_consistent(
        lambda k, x: gs.jacobian_trace_estimate(k, field, x, num_probes=3),
        keys,
        jnp.ones((3, D)),
    )
    with pytest.raises(ValueError, match=r"fn\(x\) has shape \(2,\) but x has shape \(4,\)"):
        gs.jacobian_trace(lambda x: x[:2], jnp.ones(4))
    with pytest.raises(ValueError, match=r"jacobian_trace_estimate: fn\(x\) has shape \(2,\)"):
        gs.jacobian_trace_estimate(jax.random.key(0), lambda x: x[:2], jnp.ones(4))
    with pytest.raises(ValueError, match="unknown method"):
        gs.jacobian_trace_estimate(jax.random.key(0), field, jnp.ones(D), method="exact")
    with pytest.raises(ValueError, match="needs a key"):
        gs.jacobian_trace_estimate(None, field, jnp.ones(D))
    with pytest.raises(ValueError, match="hutch\\+\\+ needs num_probes >= 3"):
        gs.jacobian_trace_estimate(
            jax.random.key(0), field, jnp.ones(D), method="hutch++", num_probes=2
        )
    with pytest.raises(ValueError, match=r"probes with shape \(1, 3\)"):
        gs.jacobian_trace_estimate(None, field, jnp.ones(D), probes=jnp.ones((1, 3)))
    # one function, one return type
    assert not isinstance(gs.jacobian_trace(field, jnp.ones(D)), gs.Estimate)
    with pytest.raises(TypeError):
        gs.jacobian_trace(field, jnp.ones(D), method="hutchinson")
    with pytest.raises(TypeError, match="must be callable"):
        gs.score(3.0)


def test_stein_identity_with_gauss_hermite_nodes():
    # E_p[s_p(x) f(x) + f'(x)] = 0 for p = N(m, v); exact on Gauss–Hermite nodes for polynomial f
    m, v = 0.7, 2.5
    nodes, weights = np.polynomial.hermite_e.hermegauss(8)
    x = m + math.sqrt(v) * nodes
    weights = weights / weights.sum()
    s = jax.vmap(gs.score(lambda u: -0.5 * (u - m) ** 2 / v))
    f = lambda u: 1.0 - 2.0 * u + 0.5 * u**3
    df = jax.vmap(lambda u: gs.jacobian_trace(lambda w: f(w), u[None]))(jnp.asarray(x)[:, None])
    total = np.sum(weights * (np.asarray(s(jnp.asarray(x))) * f(x) + np.asarray(df)))
    assert abs(total) < 1e-12
