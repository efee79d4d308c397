"""Second order at identical laws: the Hessian of a divergence is the Fisher information.

Natural-gradient and trust-region code computes the Fisher information metric as
``jax.hessian`` of :math:`KL(p_{\\theta_0} \\| p_\\theta)` at :math:`\\theta = \\theta_0`
(Amari 1998, Natural gradient works efficiently in learning; Amari 2016, Information Geometry
and Its Applications, sec. 3.2). The divergences set their value to exactly 0 between identical
laws; these tests check that doing so keeps every derivative: the gradient is 0 and the Hessian
is :math:`F`, :math:`\\alpha F` for Rényi of order :math:`\\alpha`, :math:`2F` for
:math:`\\chi^2`, :math:`F/4` for Bhattacharyya and squared Hellinger (second-order expansions,
e.g. Liese and Vajda 2006, On divergences and informations in statistics, sec. IV). The Fisher
matrices are the textbook closed forms, with trigamma from scipy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special as sp

import gmath.densities as gd
import gmath.divergences as gv


def _vm_a(k):
    return sp.i1e(k) / sp.i0e(k)


# name: (constructor from the parameter vector, parameter vector, Fisher matrix at it)
FAMILIES = {
    "Normal": (lambda t: gd.Normal(t[0], t[1]), [0.3, 1.7], np.diag([1 / 1.7**2, 2 / 1.7**2])),
    "LogNormal": (
        lambda t: gd.LogNormal(t[0], t[1]),
        [-0.4, 0.6],
        np.diag([1 / 0.6**2, 2 / 0.6**2]),
    ),
    "HalfNormal": (lambda t: gd.HalfNormal(t[0]), [2.5], np.array([[2 / 2.5**2]])),
    "Laplace": (lambda t: gd.Laplace(t[0], t[1]), [1.0, 0.8], np.diag([1 / 0.64, 1 / 0.64])),
    "Cauchy": (lambda t: gd.Cauchy(t[0], t[1]), [0.0, 3.0], np.diag([1 / 18, 1 / 18])),
    "Exponential": (lambda t: gd.Exponential(t[0]), [0.7], np.array([[1 / 0.49]])),
    "Gamma": (
        lambda t: gd.Gamma(t[0], t[1]),
        [2.5, 1.5],
        np.array([[sp.polygamma(1, 2.5), -1 / 1.5], [-1 / 1.5, 2.5 / 1.5**2]]),
    ),
    "Beta": (
        lambda t: gd.Beta(t[0], t[1]),
        [2.0, 3.5],
        np.array(
            [
                [sp.polygamma(1, 2.0) - sp.polygamma(1, 5.5), -sp.polygamma(1, 5.5)],
                [-sp.polygamma(1, 5.5), sp.polygamma(1, 3.5) - sp.polygamma(1, 5.5)],
            ]
        ),
    ),
    "Dirichlet": (
        lambda t: gd.Dirichlet(t),
        [1.5, 2.0, 0.7],
        np.diag(sp.polygamma(1, [1.5, 2.0, 0.7])) - sp.polygamma(1, 4.2),
    ),
    "VonMises": (
        lambda t: gd.VonMises(t[0], t[1]),
        [0.5, 2.0],
        np.diag([2.0 * _vm_a(2.0), 1 - _vm_a(2.0) / 2.0 - _vm_a(2.0) ** 2]),
    ),
    "Poisson": (lambda t: gd.Poisson(t[0]), [3.0], np.array([[1 / 3.0]])),
    "BernoulliProbs": (lambda t: gd.Bernoulli(probs=t[0]), [0.3], np.array([[1 / 0.21]])),
    "BernoulliLogits": (
        lambda t: gd.Bernoulli(logits=t[0]),
        [0.4],
        np.array([[jax.nn.sigmoid(0.4) * jax.nn.sigmoid(-0.4)]]),
    ),
    "Binomial": (lambda t: gd.Binomial(7, probs=t[0]), [0.3], np.array([[7 / 0.21]])),
    "Geometric": (lambda t: gd.Geometric(probs=t[0]), [0.4], np.array([[1 / (0.16 * 0.6)]])),
    "Categorical": (
        lambda t: gd.Categorical(logits=t),
        [0.0, 1.0, -0.5],
        np.diag(sp.softmax([0.0, 1.0, -0.5])) - np.outer(*[sp.softmax([0.0, 1.0, -0.5])] * 2),
    ),
    "MultivariateNormalDiag": (
        lambda t: gd.MultivariateNormalDiag(t[:2], t[2:]),
        [0.1, -0.2, 0.5, 2.0],
        np.diag([1 / 0.25, 1 / 4.0, 2 / 0.25, 2 / 4.0]),
    ),
}

# divergence: (function of (p, q), multiple of F that is its Hessian at identical laws)
DIVERGENCES = {
    "kl": (gv.kl, 1.0),
    "renyi_0.3": (lambda p, q: gv.renyi(p, q, 0.3), 0.3),
    "renyi_2": (lambda p, q: gv.renyi(p, q, 2.0), 2.0),
    "chi_squared": (gv.chi_squared, 2.0),
    "bhattacharyya": (gv.bhattacharyya, 0.25),
    "hellinger_squared": (gv.hellinger_squared, 0.25),
}

# Every family is tested with kl. The other divergences are transforms of the Rényi machinery
# (its clipping and zeroing at identical laws): Rényi on one family of each kind of formula
# (location-scale, Poisson's Bregman form, categorical log-weights), its transforms on Normal.
# Second derivatives take 5-30 s each to compile, so the table stays this size, and each family
# compiles once: every divergence of its row in one program.
_EXTRA = {
    ("Normal", "renyi_0.3"),
    ("Normal", "renyi_2"),
    ("Normal", "chi_squared"),
    ("Normal", "bhattacharyya"),
    ("Normal", "hellinger_squared"),
    ("Poisson", "renyi_0.3"),
    ("Categorical", "renyi_2"),
}
CASES = {
    fam: tuple(div for div in DIVERGENCES if div == "kl" or (fam, div) in _EXTRA)
    for fam in FAMILIES
}


@pytest.mark.parametrize("family", list(CASES))
def test_hessian_at_identical_laws_is_fisher(family):
    """Both records move: with theta = (theta_p, theta_q), the Hessian at (theta0, theta0) is
    c [[F, -F], [-F, F]] (c the divergence's multiple), which holds the Hessians in either
    argument alone (the diagonal blocks) and the mixed one; the gradient there is 0."""
    make, theta0, fisher = FAMILIES[family]
    theta0 = jnp.asarray(theta0, jnp.float64)
    k = theta0.shape[0]

    def grad_and_value(fn):
        def joint(theta):
            return fn(make(theta[:k]), make(theta[k:]))

        def both(theta):
            value, grad = jax.value_and_grad(joint)(theta)
            return grad, (value, grad)

        return both

    @jax.jit  # one compilation per family (eager second derivatives dispatch thousands of ops)
    def derivatives(theta):
        # jax.hessian is jacfwd of jacrev: forward over the reverse pass that gives the gradient
        return {
            div: jax.jacfwd(grad_and_value(DIVERGENCES[div][0]), has_aux=True)(theta)
            for div in CASES[family]
        }

    results = derivatives(jnp.concatenate([theta0, theta0]))
    for div, (hess, (value, grad)) in results.items():
        multiple = DIVERGENCES[div][1]
        assert float(value) == 0.0, div
        np.testing.assert_array_less(np.abs(np.asarray(grad)), 1e-12, err_msg=div)
        expected = multiple * np.block([[fisher, -fisher], [-fisher, fisher]])
        np.testing.assert_allclose(hess, expected, rtol=1e-9, atol=1e-12, err_msg=div)


def test_natural_gradient_reproducer():
    """The Fisher information of N(mu, sigma) by jax.hessian of the KL: diag(1/s^2, 2/s^2),
    not 0 (the divergences used to replace the value by a constant there)."""
    p0 = jnp.array([0.0, 1.0])
    # under jit: one compilation instead of ~100 eager op-by-op ones
    h = jax.jit(jax.hessian(lambda t: gv.kl(gd.Normal(p0[0], p0[1]), gd.Normal(t[0], t[1]))))(p0)
    np.testing.assert_allclose(h, [[1.0, 0.0], [0.0, 2.0]], rtol=1e-12)
