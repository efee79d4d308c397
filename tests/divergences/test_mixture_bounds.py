"""Certified KL bounds between Gaussian mixtures; Jensen–Shannon of mixtures by estimate.

Oracles: KL between 1-D mixtures by adaptive quadrature (scipy.integrate.quad, float64,
epsrel 1e-12; the bounds must bracket it up to 1e-9 relative); single-component mixtures, where
the chain-rule upper bound is the exact KL; p = q, where both bounds are 0; 2-D mixtures with
multivariate components, bracketing a Monte Carlo estimate within 5 standard errors
(false-failure probability about 6e-7); JS of mixtures against quadrature within 5 standard
errors.
"""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from scipy import integrate

import gmath.densities as gd
import gmath.divergences as gv
import gmath.testing as gt

_BOUNDS = jax.jit(gv.kl_bounds)


def _numpy_mixture(mix):
    w = np.exp(np.asarray(jax.nn.log_softmax(jnp.asarray(mix.mixture_logits))))
    mu = np.asarray(mix.components.loc) * np.ones_like(w)
    sd = np.asarray(mix.components.scale) * np.ones_like(w)

    def logpdf(x):
        z = (x - mu) / sd
        terms = np.log(w) - 0.5 * z * z - np.log(sd) - 0.5 * math.log(2 * math.pi)
        m = terms.max()
        return m + math.log(np.exp(terms - m).sum())

    return logpdf, mu, sd


def _quad_kl(p, q):
    lp, mu, sd = _numpy_mixture(p)
    lq, _, _ = _numpy_mixture(q)

    def f(x):
        a = lp(x)
        return 0.0 if a < -700 else math.exp(a) * (a - lq(x))

    lo, hi = float((mu - 40 * sd).min()), float((mu + 40 * sd).max())
    points = sorted(set(np.round(mu, 12)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return integrate.quad(f, lo, hi, points=points, epsabs=0, epsrel=1e-12, limit=500)[0]


@given(p=gt.mixtures_of_normals(num_components=3), q=gt.mixtures_of_normals(num_components=2))
def test_bounds_bracket_the_quadrature_kl(p, q):
    b = _BOUNDS(p, q)
    kl = _quad_kl(p, q)
    slack = 1e-9 * max(abs(kl), 1e-3)
    assert float(b.lower) <= kl + slack
    assert kl <= float(b.upper) + slack
    assert 0 <= float(b.lower) <= float(b.upper)


def test_single_components_and_equal_mixtures():
    p = gd.MixtureSameFamily(jnp.zeros(1), gd.Normal(jnp.array([0.3]), jnp.array([1.2])))
    q = gd.MixtureSameFamily(jnp.zeros(1), gd.Normal(jnp.array([-1.0]), jnp.array([0.7])))
    b = _BOUNDS(p, q)
    exact = gv.kl(gd.Normal(0.3, 1.2), gd.Normal(-1.0, 0.7))
    gt.assert_allclose(b.upper, exact)
    assert float(b.lower) <= float(exact)
    m = gd.MixtureSameFamily(
        jnp.array([0.2, -0.3, 1.0]),
        gd.Normal(jnp.array([-2.0, 0.0, 3.0]), jnp.array([1.0, 0.5, 2.0])),
    )
    b = _BOUNDS(m, m)
    assert float(b.lower) == 0.0
    np.testing.assert_allclose(float(b.upper), 0.0, atol=1e-15)


_KL_MC = jax.jit(lambda key, p, q: gv.kl_estimate(key, p, q, 20_000, estimator="k1"))


def test_multivariate_components_and_batches():
    loc_p = jnp.array([[0.0, 0.0], [2.0, 1.0]])
    loc_q = jnp.array([[0.5, -0.5], [1.0, 2.0], [-1.0, 0.0]])
    cov = jnp.array([[1.0, 0.3], [0.3, 0.5]])
    p = gd.MixtureSameFamily(
        jnp.array([0.0, 0.5]), gd.MultivariateNormal(loc_p, covariance_matrix=cov)
    )
    q = gd.MixtureSameFamily(
        jnp.array([0.0, 0.1, -0.2]),
        gd.MultivariateNormalDiag(loc_q, jnp.array([1.0, 0.8])),
    )
    b = _BOUNDS(p, q)
    est = _KL_MC(jax.random.key(0), p, q)
    assert float(b.lower) - 5 * float(est.stderr) <= float(est.value)
    assert float(est.value) <= float(b.upper) + 5 * float(est.stderr)
    # batches broadcast: a batch of two mixtures against one
    batched = gd.MixtureSameFamily(
        jnp.zeros((2, 2)), gd.Normal(jnp.array([[0.0, 1.0], [2.0, -1.0]]), 1.0)
    )
    single = gd.MixtureSameFamily(jnp.zeros(2), gd.Normal(jnp.array([0.0, 1.5]), 2.0))
    out = _BOUNDS(batched, single)
    assert out.lower.shape == out.upper.shape == (2,)
    first = gd.MixtureSameFamily(jnp.zeros(2), gd.Normal(jnp.array([0.0, 1.0]), 1.0))
    gt.assert_allclose(out.upper[0], _BOUNDS(first, single).upper)
    with pytest.raises(NotImplementedError, match="MixtureSameFamily"):
        gv.kl_bounds(gd.Normal(0.0, 1.0), single)


_JS_MC = jax.jit(lambda key, p, q: gv.jensen_shannon_estimate(key, p, q, 20_000))


def test_jensen_shannon_of_mixtures_by_estimate():
    p = gd.MixtureSameFamily(jnp.array([0.0, 0.7]), gd.Normal(jnp.array([-2.0, 1.0]), 0.8))
    q = gd.MixtureSameFamily(jnp.array([0.3, 0.0]), gd.Normal(jnp.array([0.0, 2.5]), 1.1))
    lp, _, _ = _numpy_mixture(p)
    lq, _, _ = _numpy_mixture(q)

    def f(x):
        a, b = lp(x), lq(x)
        m = np.logaddexp(a, b) - math.log(2)
        return 0.5 * (math.exp(a) * (a - m) + math.exp(b) * (b - m))

    ref = integrate.quad(f, -40, 40, points=(-2.0, 0.0, 1.0, 2.5), epsabs=0, epsrel=1e-12)[0]
    est = _JS_MC(jax.random.key(1), p, q)
    assert abs(float(est.value) - ref) < 5 * float(est.stderr)
    assert float(est.value.dtype.itemsize) == 8
