"""KL registry: closed forms against quadrature / exact sums and against the Bregman route.

Oracles: every closed form against
``scipy.integrate.quad`` of scipy.stats densities (float64, epsrel 1e-13; compared at 1e-10
relative, or 1e-12 absolute for KLs below 1e-2), discrete families against exact sums of
scipy.stats pmfs; every exponential-family formula against the Bregman divergence of the
log-normaliser (Hypothesis); KL(p||p) = 0 with zero gradient; KL >= 0; Pinsker and
Bretagnolle–Huber; Independent = sum; gradients against finite differences; broadcasting,
eager = jit = vmap, float32 preserved; unsupported pairs and non-nested supports.
"""

import dataclasses
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads
from scipy import integrate
from scipy.special import i0e

import gmath.densities as gd
import gmath.divergences as gv
import gmath.testing as gt

_KL = jax.jit(gv.kl)
_BREGMAN = jax.jit(gv.exponential_family_kl)


# ---------------------------------------------------------------------------- oracles
def _scipy(d):
    """An independent scipy.stats law (or a log-density) for a univariate record."""
    name = type(d).__name__
    a = lambda v: float(np.asarray(v))
    if name == "Normal":
        return ss.norm(a(d.loc), a(d.scale))
    if name == "LogNormal":
        return ss.lognorm(s=a(d.scale), scale=math.exp(a(d.loc)))
    if name == "HalfNormal":
        return ss.halfnorm(scale=a(d.scale))
    if name == "Laplace":  # scipy's laplace.logpdf underflows to -inf beyond |z| ~ 745
        m, b = a(d.loc), a(d.scale)

        class _Laplace:
            @staticmethod
            def logpdf(x):
                return -math.log(2 * b) - abs(x - m) / b

        return _Laplace
    if name == "Exponential":
        return ss.expon(scale=1 / a(d.rate))
    if name == "Gamma":
        return ss.gamma(a(d.concentration), scale=1 / a(d.rate))
    if name == "Beta":
        return ss.beta(a(d.concentration1), a(d.concentration0))
    if name == "Gumbel":
        return ss.gumbel_r(a(d.loc), a(d.scale))
    if name == "Uniform":
        return ss.uniform(a(d.low), a(d.high) - a(d.low))
    if name == "Cauchy":
        return ss.cauchy(a(d.loc), a(d.scale))
    if name == "StudentT":
        return ss.t(a(d.df), a(d.loc), a(d.scale))
    if name == "VonMises":
        mu, k = a(d.loc), a(d.concentration)

        class _VM:
            @staticmethod
            def logpdf(x):
                return k * (np.cos(x - mu) - 1) - np.log(2 * np.pi * i0e(k))

        return _VM
    raise KeyError(name)


def quad_kl(p, q, lo, hi, points=()):
    """KL(p || q) = int p (log p - log q) by adaptive quadrature on [lo, hi] split at points."""
    sp, sq = _scipy(p), _scipy(q)

    def f(x):
        lp = sp.logpdf(x)
        # below exp(-700) the integrand is negligible (and scipy's logpdfs may underflow)
        return 0.0 if lp < -700 else math.exp(lp) * (lp - sq.logpdf(x))

    edges = sorted({lo, hi, *[c for c in points if lo < c < hi]})
    total = 0.0
    # quad may warn that it cannot certify epsrel 1e-13; the comparison at 1e-10 is the check.
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            total += integrate.quad(f, a, b, epsabs=0, epsrel=1e-13, limit=500)[0]
    return total


def _check_close(value, ref):
    value = float(np.asarray(value))
    atol = 1e-12 if abs(ref) < 1e-2 else 0.0
    np.testing.assert_allclose(value, ref, rtol=1e-10, atol=atol)


def _fam(name):
    return getattr(gd, name)


# (id, p, q, lower and upper limits of p's support, break points)
_CONTINUOUS = [
    (
        "Normal-Normal",
        lambda: _fam("Normal")(0.3, 1.2),
        lambda: _fam("Normal")(-1.0, 0.7),
        -np.inf,
        np.inf,
        (0.3,),
    ),
    (
        "LogNormal-LogNormal",
        lambda: _fam("LogNormal")(0.2, 0.5),
        lambda: _fam("LogNormal")(-0.3, 0.9),
        0.0,
        np.inf,
        (1.0,),
    ),
    (
        "HalfNormal-HalfNormal",
        lambda: _fam("HalfNormal")(1.5),
        lambda: _fam("HalfNormal")(0.6),
        0.0,
        np.inf,
        (),
    ),
    (
        "Laplace-Laplace",
        lambda: _fam("Laplace")(0.5, 1.3),
        lambda: _fam("Laplace")(-0.4, 0.8),
        -np.inf,
        np.inf,
        (0.5, -0.4),
    ),
    (
        "Exponential-Exponential",
        lambda: _fam("Exponential")(2.0),
        lambda: _fam("Exponential")(0.7),
        0.0,
        np.inf,
        (),
    ),
    (
        "Gamma-Gamma",
        lambda: _fam("Gamma")(2.5, 1.5),
        lambda: _fam("Gamma")(0.8, 0.6),
        0.0,
        np.inf,
        (1.0,),
    ),
    (
        "Exponential-Gamma",
        lambda: _fam("Exponential")(1.3),
        lambda: _fam("Gamma")(2.2, 0.9),
        0.0,
        np.inf,
        (),
    ),
    (
        "Gamma-Exponential",
        lambda: _fam("Gamma")(3.0, 2.0),
        lambda: _fam("Exponential")(0.4),
        0.0,
        np.inf,
        (1.0,),
    ),
    ("Beta-Beta", lambda: _fam("Beta")(2.5, 1.5), lambda: _fam("Beta")(0.9, 3.0), 0.0, 1.0, (0.5,)),
    (
        "Gumbel-Gumbel",
        lambda: _fam("Gumbel")(0.5, 1.5),
        lambda: _fam("Gumbel")(-1.0, 0.8),
        -np.inf,
        np.inf,
        (0.5,),
    ),
    (
        "Cauchy-Cauchy",
        lambda: _fam("Cauchy")(0.5, 1.5),
        lambda: _fam("Cauchy")(-1.0, 0.8),
        -np.inf,
        np.inf,
        (0.5, -1.0),
    ),
    (
        "VonMises-VonMises",
        lambda: _fam("VonMises")(0.5, 2.0),
        lambda: _fam("VonMises")(-1.0, 0.7),
        -np.pi,
        np.pi,
        (0.5,),
    ),
    (
        "Uniform-Uniform",
        lambda: _fam("Uniform")(0.2, 0.9),
        lambda: _fam("Uniform")(-1.0, 2.0),
        0.2,
        0.9,
        (),
    ),
    (
        "Normal-Laplace",
        lambda: _fam("Normal")(0.3, 1.2),
        lambda: _fam("Laplace")(-0.5, 0.9),
        -np.inf,
        np.inf,
        (0.3, -0.5),
    ),
    (
        "Laplace-Normal",
        lambda: _fam("Laplace")(0.3, 1.2),
        lambda: _fam("Normal")(-0.5, 0.9),
        -np.inf,
        np.inf,
        (0.3,),
    ),
    (
        "Normal-Gumbel",
        lambda: _fam("Normal")(0.3, 1.2),
        lambda: _fam("Gumbel")(-0.5, 1.9),
        -np.inf,
        np.inf,
        (0.3,),
    ),
    (
        "Uniform-Normal",
        lambda: _fam("Uniform")(-0.5, 2.0),
        lambda: _fam("Normal")(0.3, 1.2),
        -0.5,
        2.0,
        (),
    ),
    (
        "Uniform-Laplace(inside)",
        lambda: _fam("Uniform")(-0.5, 2.0),
        lambda: _fam("Laplace")(0.3, 1.2),
        -0.5,
        2.0,
        (0.3,),
    ),
    (
        "Uniform-Laplace(left)",
        lambda: _fam("Uniform")(-0.5, 2.0),
        lambda: _fam("Laplace")(-1.3, 1.2),
        -0.5,
        2.0,
        (),
    ),
    (
        "Uniform-Laplace(right)",
        lambda: _fam("Uniform")(-0.5, 2.0),
        lambda: _fam("Laplace")(3.3, 0.4),
        -0.5,
        2.0,
        (),
    ),
    (
        "Uniform-Exponential",
        lambda: _fam("Uniform")(0.5, 2.0),
        lambda: _fam("Exponential")(1.7),
        0.5,
        2.0,
        (),
    ),
    (
        "Uniform-Gamma",
        lambda: _fam("Uniform")(0.0, 2.0),
        lambda: _fam("Gamma")(2.7, 1.1),
        0.0,
        2.0,
        (),
    ),
    (
        "Uniform-HalfNormal",
        lambda: _fam("Uniform")(0.5, 3.0),
        lambda: _fam("HalfNormal")(1.1),
        0.5,
        3.0,
        (),
    ),
    (
        "Uniform-LogNormal",
        lambda: _fam("Uniform")(0.0, 3.0),
        lambda: _fam("LogNormal")(0.2, 0.7),
        0.0,
        3.0,
        (1.0,),
    ),
    (
        "Uniform-Gumbel",
        lambda: _fam("Uniform")(-1.0, 3.0),
        lambda: _fam("Gumbel")(0.2, 0.7),
        -1.0,
        3.0,
        (),
    ),
    (
        "Uniform-Cauchy",
        lambda: _fam("Uniform")(-1.0, 3.0),
        lambda: _fam("Cauchy")(0.2, 0.7),
        -1.0,
        3.0,
        (0.2,),
    ),
    (
        "Uniform-StudentT",
        lambda: _fam("Uniform")(-1.0, 3.0),
        lambda: _fam("StudentT")(3.5, 0.2, 0.7),
        -1.0,
        3.0,
        (0.2,),
    ),
    (
        "Uniform-Beta",
        lambda: _fam("Uniform")(0.1, 0.7),
        lambda: _fam("Beta")(2.2, 0.7),
        0.1,
        0.7,
        (),
    ),
    (
        "Beta-Uniform",
        lambda: _fam("Beta")(2.2, 0.7),
        lambda: _fam("Uniform")(-0.5, 1.5),
        0.0,
        1.0,
        (),
    ),
]


def _available(*names):
    return all(hasattr(gd, n) for n in names)


_CONTINUOUS_HERE = [c for c in _CONTINUOUS if _available(*c[0].split("(")[0].split("-"))]


@pytest.mark.parametrize(
    ("name", "make_p", "make_q", "lo", "hi", "points"),
    _CONTINUOUS_HERE,
    ids=[c[0] for c in _CONTINUOUS_HERE],
)
def test_closed_form_matches_quadrature(name, make_p, make_q, lo, hi, points):
    p, q = make_p(), make_q()
    ref = quad_kl(p, q, lo, hi, points)
    _check_close(gv.kl(p, q), ref)


# ---------------------------------------------------------------------------- discrete sums
def _exact_sum(logpmf_p, logpmf_q, support):
    lp, lq = logpmf_p(support), logpmf_q(support)
    mask = lp > -np.inf
    return float(np.sum(np.exp(lp[mask]) * (lp[mask] - lq[mask])))


def test_poisson_matches_exact_sum():
    k = np.arange(0, 400)
    for r1, r2 in [(3.5, 7.2), (40.0, 31.0), (0.2, 2.0)]:
        p, q = _fam("Poisson")(r1), _fam("Poisson")(r2)
        _check_close(gv.kl(p, q), _exact_sum(ss.poisson(r1).logpmf, ss.poisson(r2).logpmf, k))


def test_bernoulli_and_categorical_match_exact_sums():
    pr, qr = 0.3, 0.85
    ref = pr * math.log(pr / qr) + (1 - pr) * math.log((1 - pr) / (1 - qr))
    _check_close(gv.kl(_fam("Bernoulli")(probs=pr), _fam("Bernoulli")(probs=qr)), ref)
    logit = lambda v: math.log(v / (1 - v))
    _check_close(gv.kl(_fam("Bernoulli")(logits=logit(pr)), _fam("Bernoulli")(probs=qr)), ref)
    a = np.array([0.1, 0.2, 0.3, 0.4])
    b = np.array([0.25, 0.05, 0.5, 0.2])
    ref = float(np.sum(a * np.log(a / b)))
    _check_close(gv.kl(_fam("Categorical")(probs=a), _fam("Categorical")(probs=b)), ref)
    _check_close(
        gv.kl(_fam("Categorical")(logits=np.log(a) + 3.0), _fam("Categorical")(probs=b)), ref
    )
    # zero-probability category of p contributes 0; of q only, gives inf
    a0 = np.array([0.0, 0.5, 0.5])
    b0 = np.array([0.2, 0.3, 0.5])
    ref = 0.5 * math.log(0.5 / 0.3)
    _check_close(gv.kl(_fam("Categorical")(probs=a0), _fam("Categorical")(probs=b0)), ref)
    assert gv.kl(_fam("Categorical")(probs=b0), _fam("Categorical")(probs=a0)) == np.inf


# ---------------------------------------------------------------------------- Bregman route
_EXP_FAMILY_STRATEGIES = {
    "Normal": lambda: gt.normals(batch_shape=(3,)),
    "LogNormal": lambda: gt.log_normals(batch_shape=(3,)),
    "HalfNormal": lambda: gt.half_normals(batch_shape=(3,)),
    "Exponential": lambda: gt.exponentials(batch_shape=(3,)),
    "Gamma": lambda: gt.gammas(batch_shape=(3,)),
    "Beta": lambda: gt.betas(batch_shape=(3,)),
    "Dirichlet": lambda: gt.dirichlets(batch_shape=(3,)),
    "Bernoulli": lambda: gt.bernoullis(batch_shape=(3,)),
    "Categorical": lambda: gt.categoricals(batch_shape=(3,)),
    "Poisson": lambda: gt.poissons(batch_shape=(3,)),
    "Geometric": lambda: gt.geometrics(batch_shape=(3,)),
    "VonMises": lambda: gt.von_mises(batch_shape=(3,)),
}
_EXP_HERE = [n for n in _EXP_FAMILY_STRATEGIES if _available(n)]


def _bregman_scale(p, q):
    """Size of the terms the Bregman route cancels (its rounding error is ~eps times this)."""
    theta_p, a = gv.natural_parameters(p)
    theta_q, _ = gv.natural_parameters(q)
    return np.abs(np.asarray(a(*theta_p))) + np.abs(np.asarray(a(*theta_q))) + 1.0


@pytest.mark.parametrize("name", _EXP_HERE)
@given(data=st.data())
def test_closed_form_matches_bregman_route(name, data):
    strategy = _EXP_FAMILY_STRATEGIES[name]()
    p, q = data.draw(strategy), data.draw(strategy)
    # One jitted pair shared by every family, as users write it; eager is the cross-check
    # (with jax.tree_util.register_dataclass, records of different families had equal tree
    # structures and a shared jit could run another family's executable: tests/test_pytree.py).
    value, ref = _KL(p, q), _BREGMAN(p, q)
    atol = 1e-13 * _bregman_scale(p, q).max()
    np.testing.assert_allclose(value, gv.kl(p, q), rtol=1e-10, atol=atol)
    np.testing.assert_allclose(ref, gv.exponential_family_kl(p, q), rtol=1e-10, atol=atol)
    assert value.shape == ref.shape == (3,)
    np.testing.assert_allclose(value, ref, rtol=1e-10, atol=1e-13 * _bregman_scale(p, q).max())
    assert np.all(np.asarray(value) >= -1e-12)


# ---------------------------------------------------------------------------- identities
_SELF_CASES = {
    "Normal": lambda: _fam("Normal")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "LogNormal": lambda: _fam("LogNormal")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "HalfNormal": lambda: _fam("HalfNormal")(jnp.array([1.2, 0.4])),
    "Laplace": lambda: _fam("Laplace")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "Gumbel": lambda: _fam("Gumbel")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "Cauchy": lambda: _fam("Cauchy")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "Exponential": lambda: _fam("Exponential")(jnp.array([1.2, 0.4])),
    "Gamma": lambda: _fam("Gamma")(jnp.array([1.2, 4.0]), jnp.array([0.7, 2.0])),
    "Beta": lambda: _fam("Beta")(jnp.array([1.2, 4.0]), jnp.array([0.7, 2.0])),
    "Dirichlet": lambda: _fam("Dirichlet")(jnp.array([[1.2, 4.0, 0.5], [0.7, 2.0, 3.0]])),
    "VonMises": lambda: _fam("VonMises")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "Uniform": lambda: _fam("Uniform")(jnp.array([0.3, -2.0]), jnp.array([1.2, 0.4])),
    "Bernoulli": lambda: _fam("Bernoulli")(logits=jnp.array([0.3, -2.0])),
    "Categorical": lambda: _fam("Categorical")(logits=jnp.array([[0.3, -2.0, 1.0]])),
    "Poisson": lambda: _fam("Poisson")(jnp.array([1.2, 40.0])),
    "Geometric": lambda: _fam("Geometric")(probs=jnp.array([0.2, 0.7])),
    "Binomial": lambda: _fam("Binomial")(jnp.array([5.0, 12.0]), logits=jnp.array([0.3, -2.0])),
    "MultivariateNormal": lambda: _fam("MultivariateNormal")(
        jnp.array([0.3, -2.0]), scale_tril=jnp.array([[1.2, 0.0], [0.5, 0.4]])
    ),
}
_SELF_HERE = [n for n in _SELF_CASES if _available(n)]


@jax.jit
def _kl_and_grads(p, q):
    """KL and its gradients in both records: one compiled trace per family (eager dispatch of
    the reverse pass op by op took 3 to 5 times longer)."""
    return gv.kl(p, q), jax.grad(lambda p, q: jnp.sum(gv.kl(p, q)), argnums=(0, 1))(p, q)


@pytest.mark.parametrize("name", _SELF_HERE)
def test_kl_to_self_is_zero_with_zero_gradient(name):
    p = _SELF_CASES[name]()
    q = _SELF_CASES[name]()
    if name == "Uniform":
        # KL(U_p || U_q) = log(len_q / len_p) sits on the kink of nested supports: value only
        np.testing.assert_array_equal(np.asarray(gv.kl(p, q)), 0.0)
        return
    value, grads = _kl_and_grads(p, q)
    np.testing.assert_array_equal(np.asarray(value), 0.0)
    for leaf in jax.tree_util.tree_leaves(grads):
        np.testing.assert_allclose(np.asarray(leaf), 0.0, atol=1e-12)


@given(p=gt.normals(batch_shape=(4,)), q=gt.normals(batch_shape=(4,)))
def test_pinsker_and_bretagnolle_huber(p, q):
    kl = np.asarray(_KL(p, q))
    tv = np.asarray(gv.total_variation(p, q))
    assert np.all(kl >= 0)
    slack = 1e-12
    assert np.all(tv <= np.sqrt(kl / 2) + slack)
    assert np.all(tv <= np.sqrt(-np.expm1(-kl)) + slack)


def test_independent_is_sum_and_matches_diagonal_gaussians():
    if not _available("Independent"):
        pytest.fail("Independent has not landed")
    loc_p, scale_p = jnp.array([[0.3, -1.0, 2.0]]), jnp.array([[1.2, 0.4, 2.0]])
    loc_q, scale_q = jnp.array([0.0, 1.0, 0.5]), jnp.array([0.7, 1.1, 1.0])
    p = gd.Independent(gd.Normal(loc_p, scale_p), 1)
    q = gd.Independent(gd.Normal(loc_q, scale_q), 1)
    ref = np.sum(np.asarray(gv.kl(gd.Normal(loc_p, scale_p), gd.Normal(loc_q, scale_q))), -1)
    gt.assert_allclose(gv.kl(p, q), ref)


def test_gradients_match_finite_differences():
    def f(m1, s1, m2, s2):
        return gv.kl(gd.Normal(m1, s1), gd.Normal(m2, s2))

    check_grads(jax.jit(f), (0.3, 1.2, -0.5, 0.7), order=1, modes=("rev",))
    if _available("Gamma"):
        g = lambda a1, b1, a2, b2: gv.kl(gd.Gamma(a1, b1), gd.Gamma(a2, b2))
        check_grads(jax.jit(g), (2.3, 1.2, 0.5, 0.7), order=1, modes=("rev",))
    if _available("Laplace"):
        g = lambda a1, b1, a2, b2: gv.kl(gd.Laplace(a1, b1), gd.Laplace(a2, b2))
        check_grads(jax.jit(g), (0.3, 1.2, -0.5, 0.7), order=1, modes=("rev",))


def test_batch_broadcasting_and_transforms():
    p = gd.Normal(jnp.array([[0.0], [1.0], [-2.0]]), jnp.array([[1.0], [0.5], [2.0]]))
    q = gd.Normal(jnp.array([0.5, -0.5, 0.0, 3.0]), 1.3)
    out = gv.kl(p, q)
    assert out.shape == (3, 4)
    loop = np.array(
        [
            [
                float(gv.kl(gd.Normal(p.loc[i, 0], p.scale[i, 0]), gd.Normal(q.loc[j], 1.3)))
                for j in range(4)
            ]
            for i in range(3)
        ]
    )
    gt.assert_allclose(out, loop)
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    gt.assert_transform_consistent(
        lambda m, s: gv.kl(gd.Normal(m, s), gd.Normal(0.2, 1.1)), locs, scales
    )


@pytest.mark.parametrize("name", _SELF_HERE)
def test_float32_stays_float32(name):
    p = _SELF_CASES[name]()
    p32 = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float32), p)
    out = gv.kl(p32, p32)
    assert out.dtype == jnp.float32
    assert np.all(np.asarray(out) == 0)


def test_unsupported_pair_and_non_nested_supports():
    with pytest.raises(NotImplementedError, match=r"KL\(Normal \|\| Cauchy\).*kl_estimate"):
        gv.kl(gd.Normal(0.0, 1.0), gd.Cauchy(0.0, 1.0))
    assert gv.kl(gd.Normal(0.0, 1.0), gd.Uniform(-1.0, 1.0)) == np.inf
    u = gd.Uniform(jnp.array([0.0, -2.0]), jnp.array([1.0, 1.0]))
    np.testing.assert_array_equal(
        np.asarray(gv.kl(u, gd.Uniform(-1.0, 2.0))), [math.log(3.0), np.inf]
    )
    if _available("Exponential"):
        assert gv.kl(gd.Uniform(-1.0, 1.0), gd.Exponential(1.0)) == np.inf
    assert ("Normal", "Normal") in gv.kl_pairs()


# ---------------------------------------------------------------------------- multivariate normals
_DIM = 3


def _mvn_strategy(kind):
    if kind in ("scale_tril", "covariance_matrix", "precision_matrix"):
        return gt.multivariate_normals(dim=_DIM, batch_shape=(2,), parameterization=kind)
    if kind == "diag":
        return gt.multivariate_normal_diags(dim=_DIM, batch_shape=(2,))
    if kind == "lowrank":
        return gt.low_rank_multivariate_normals(dim=_DIM, rank=2, batch_shape=(2,))
    return gt.multivariate_normal_diags(dim=_DIM, batch_shape=(2,)).map(
        lambda d: gd.Independent(gd.Normal(d.loc, d.scale_diag), 1)
    )


_MVN_KINDS = ["scale_tril", "covariance_matrix", "precision_matrix", "diag", "independent"]
if _available("LowRankMultivariateNormal"):
    _MVN_KINDS.append("lowrank")


def _dense(d):
    """(mean, covariance) in float64 numpy, from the record's own public methods."""
    if type(d).__name__ == "Independent":
        loc, scale = np.broadcast_arrays(np.asarray(d.base.loc), np.asarray(d.base.scale))
        return loc, scale[..., :, None] ** 2 * np.eye(loc.shape[-1])
    return np.asarray(d.mean()), np.asarray(d.covariance())


def _dense_kl(p, q):
    mp, cp = _dense(p)
    mq, cq = _dense(q)
    out = []
    for i in range(2):
        inv = np.linalg.inv(cq[i])
        diff = mq[i] - mp[i]
        out.append(
            0.5
            * (
                np.trace(inv @ cp[i])
                + diff @ inv @ diff
                - _DIM
                + np.linalg.slogdet(cq[i])[1]
                - np.linalg.slogdet(cp[i])[1]
            )
        )
    return np.array(out)


@given(data=st.data())
def test_multivariate_normals_every_parameterisation(data):
    kind_p = data.draw(st.sampled_from(_MVN_KINDS))
    kind_q = data.draw(st.sampled_from(_MVN_KINDS))
    p = data.draw(_mvn_strategy(kind_p))
    q = data.draw(_mvn_strategy(kind_q))
    value = gv.kl(p, q)
    ref = _dense_kl(p, q)
    # condition numbers up to 100 on each covariance: allow 1e-9 relative
    np.testing.assert_allclose(value, ref, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(gv.exponential_family_kl(p, q), ref, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------- remaining families
@given(p=gt.binomials(batch_shape=(3,)), q=gt.binomials(batch_shape=(3,)))
def test_binomial_matches_bregman_route_for_equal_counts(p, q):
    q = dataclasses.replace(q, total_count=p.total_count)
    value, ref = _KL(p, q), _BREGMAN(p, q)
    np.testing.assert_allclose(value, ref, rtol=1e-10, atol=1e-13 * _bregman_scale(p, q).max())


def test_binomial_exact_sum_and_unequal_counts():
    k = np.arange(0, 21)
    for p1, p2 in [(0.3, 0.55), (0.9, 0.2)]:
        ref = _exact_sum(ss.binom(20, p1).logpmf, ss.binom(20, p2).logpmf, k)
        _check_close(gv.kl(gd.Binomial(20.0, probs=p1), gd.Binomial(20.0, probs=p2)), ref)
    # more trials under p than under q: p puts mass where q has none
    assert gv.kl(gd.Binomial(21.0, probs=0.3), gd.Binomial(20.0, probs=0.3)) == np.inf
    assert np.isnan(gv.kl(gd.Binomial(19.0, probs=0.3), gd.Binomial(20.0, probs=0.3)))


def test_geometric_matches_exact_sum():
    k = np.arange(0, 2000)
    for p1, p2 in [(0.3, 0.55), (0.9, 0.05)]:
        # failures before the first success: scipy nbinom(1, p)
        ref = _exact_sum(ss.nbinom(1, p1).logpmf, ss.nbinom(1, p2).logpmf, k)
        _check_close(
            gv.kl(gd.Geometric(probs=p1), gd.Geometric(logits=math.log(p2 / (1 - p2)))), ref
        )


def test_dirichlet_in_two_dimensions_is_beta():
    a, b = jnp.array([[1.3, 0.4], [5.0, 2.0]]), jnp.array([[0.7, 2.2], [1.0, 9.0]])
    value = gv.kl(gd.Dirichlet(a), gd.Dirichlet(b))
    ref = gv.kl(gd.Beta(a[:, 0], a[:, 1]), gd.Beta(b[:, 0], b[:, 1]))
    gt.assert_allclose(value, ref)


def test_independent_of_other_bases_and_mismatches():
    base_p = gd.Gamma(jnp.array([[1.0, 2.0], [3.0, 0.5]]), 1.5)
    base_q = gd.Gamma(2.0, jnp.array([[0.5, 1.0], [2.0, 1.0]]))
    value = gv.kl(gd.Independent(base_p, 2), gd.Independent(base_q, 2))
    assert value.shape == ()
    gt.assert_allclose(value, np.asarray(np.sum(np.asarray(gv.kl(base_p, base_q)))))
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims 2 and 1"):
        gv.kl(gd.Independent(base_p, 2), gd.Independent(base_q, 1))
    with pytest.raises(NotImplementedError, match="KL\\(Independent \\|\\| MultivariateNormal\\)"):
        gv.kl(gd.Independent(base_p, 1), gd.MultivariateNormal(jnp.zeros(2), scale_tril=jnp.eye(2)))


def test_unbounded_supports_against_uniform_are_infinite():
    for d in (
        gd.StudentT(3.0, 0.0, 1.0),
        gd.Logistic(0.0, 1.0),
        gd.Gamma(2.0, 1.0),
        gd.LogNormal(0.0, 1.0),
        gd.HalfNormal(1.0),
        gd.Cauchy(0.0, 1.0),
    ):
        assert gv.kl(d, gd.Uniform(0.0, 1.0)) == np.inf


def test_multivariate_batch_against_a_single_q():
    key = jax.random.split(jax.random.key(0), 2)
    a = jax.random.normal(key[0], (3, 4, 4))
    cov = a @ jnp.swapaxes(a, -1, -2) + jnp.eye(4)
    loc = jax.random.normal(key[1], (3, 4))
    p = gd.MultivariateNormal(loc, covariance_matrix=cov)
    for q in (
        gd.MultivariateNormal(jnp.ones(4), covariance_matrix=cov[0] + jnp.eye(4)),
        gd.LowRankMultivariateNormal(jnp.ones(4), a[0, :, :2], jnp.full(4, 0.5)),
    ):
        out = gv.kl(p, q)
        assert out.shape == (3,)
        loop = [
            float(gv.kl(gd.MultivariateNormal(loc[i], covariance_matrix=cov[i]), q))
            for i in range(3)
        ]
        gt.assert_allclose(out, np.asarray(loop))
        gt.assert_allclose(out, _dense_kl_batch(p, q))


def _dense_kl_batch(p, q):
    mp, cp = _dense(p)
    mq, cq = _dense(q)
    inv = np.linalg.inv(cq)
    diff = mq - mp
    d = mp.shape[-1]
    return 0.5 * (
        np.trace(inv @ cp, axis1=-2, axis2=-1)
        + np.einsum("...i,...ij,...j->...", diff, inv, diff)
        - d
        + np.linalg.slogdet(cq)[1]
        - np.linalg.slogdet(cp)[1]
    )


# ---------------------------------------------------------------------------- edge regressions
def _mp_kl_poisson(lp, lq):
    import mpmath

    with mpmath.workdps(60):
        lp, lq = mpmath.mpf(lp), mpmath.mpf(lq)
        return float(lp * mpmath.log(lp / lq) - (lp - lq))


def test_nearby_poisson_gamma_beta_keep_relative_accuracy():
    # KL(Poisson(1e6) || Poisson(1e6 (1 + 1e-6))) was off by 1.9e-3 relative
    import mpmath

    lq = 1e6 * (1 + 1e-6)
    got = float(gv.kl(gd.Poisson(1e6), gd.Poisson(lq)))
    np.testing.assert_allclose(got, _mp_kl_poisson(1e6, lq), rtol=1e-12)

    def mp_gamma(a1, b1, a2, b2):
        with mpmath.workdps(60):
            a1, b1, a2, b2 = map(mpmath.mpf, (a1, b1, a2, b2))
            return float(
                (a1 - a2) * mpmath.digamma(a1) - mpmath.loggamma(a1) + mpmath.loggamma(a2)
                + a2 * mpmath.log(b1 / b2) + a1 * (b2 - b1) / b1
            )  # fmt: skip

    def mp_beta(a1, b1, a2, b2):
        with mpmath.workdps(60):
            a1, b1, a2, b2 = map(mpmath.mpf, (a1, b1, a2, b2))
            lb = lambda a, b: mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)
            return float(
                lb(a2, b2) - lb(a1, b1) + (a1 - a2) * mpmath.digamma(a1)
                + (b1 - b2) * mpmath.digamma(b1) + (a2 - a1 + b2 - b1) * mpmath.digamma(a1 + b1)
            )  # fmt: skip

    for eps in (1e-6, 1e-9, 1e-12):
        a2 = 1e6 * (1 + eps)
        got = float(gv.kl(gd.Gamma(1e6, 1.0), gd.Gamma(a2, 1.0)))
        np.testing.assert_allclose(got, mp_gamma(1e6, 1.0, a2, 1.0), rtol=1e-10)
        b2 = 20.0 * (1 + eps)
        got = float(gv.kl(gd.Beta(10.0, 20.0), gd.Beta(10.0, b2)))
        np.testing.assert_allclose(got, mp_beta(10.0, 20.0, 10.0, b2), rtol=1e-10)
    # Beta(10, 20) against a 1e-8 perturbation (was 11x too large)
    a2 = 10.0 * (1 + 1e-8)
    got = float(gv.kl(gd.Beta(10.0, 20.0), gd.Beta(a2, 20.0)))
    np.testing.assert_allclose(got, mp_beta(10.0, 20.0, a2, 20.0), rtol=1e-10)


def test_geometric_point_mass_kl_is_log_two():
    # kl(Geometric(probs=1) || Geometric(probs=.5)) was NaN; the point mass at 0: -log q
    got = gv.kl(gd.Geometric(probs=1.0), gd.Geometric(probs=0.5))
    np.testing.assert_allclose(float(got), math.log(2.0), rtol=1e-15)
    assert float(gv.kl(gd.Geometric(probs=1.0), gd.Geometric(probs=1.0))) == 0.0
    assert float(gv.kl(gd.Geometric(probs=0.5), gd.Geometric(probs=1.0))) == math.inf


def test_degenerate_identical_laws_have_zero_kl():
    for p in (gd.Bernoulli(probs=0.0), gd.Bernoulli(probs=1.0), gd.Binomial(10.0, probs=0.0),
              gd.Binomial(10.0, probs=1.0), gd.Poisson(0.0), gd.Geometric(probs=1.0),
              gd.Categorical(probs=jnp.array([0.0, 0.5, 0.5]))):  # fmt: skip
        assert float(gv.kl(p, p)) == 0.0


def test_f32_mvn_diag_tiny_scale_gradient_is_zero():
    # the gradient of KL of MultivariateNormalDiag(scale 1e-20) against itself was NaN in f32
    loc = jnp.zeros(2, jnp.float32)
    s0 = jnp.full(2, 1e-20, jnp.float32)
    g = jax.grad(
        lambda s: gv.kl(gd.MultivariateNormalDiag(loc, s), gd.MultivariateNormalDiag(loc, s0))
    )(s0)
    assert g.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(g), 0.0)
    # and a nearby one in f32: KL = sum_i (e^t - 1 - t)/2, t = 2 log(s1/s0) per entry
    s1 = s0 * jnp.float32(1 + 2.0**-10)
    t = 2 * math.log(float(s1[0]) / float(s0[0]))
    got = gv.kl(gd.MultivariateNormalDiag(loc, s1), gd.MultivariateNormalDiag(loc, s0))
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(float(got), math.expm1(t) - t, rtol=2e-5)


def test_named_errors_for_shapes_and_sizes():
    p, q = gd.Normal(jnp.zeros(2), 1.0), gd.Normal(jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match=r"kl: .*Normal, batch_shape \(2,\).*\(3,\)"):
        gv.kl(p, q)
    c2, c3 = gd.Categorical(logits=jnp.zeros(2)), gd.Categorical(logits=jnp.zeros(3))
    with pytest.raises(ValueError, match="kl: Categoricals over 2 and 3 categories"):
        gv.kl(c2, c3)
    d2, d3 = gd.Dirichlet(jnp.ones(2)), gd.Dirichlet(jnp.ones(3))
    with pytest.raises(ValueError, match="kl: Dirichlet concentrations of sizes 2 and 3"):
        gv.kl(d2, d3)


def test_invalid_parameters_give_nan():
    assert np.isnan(float(gv.kl(gd.Normal(0.0, -1.0), gd.Normal(0.0, 1.0))))
    assert np.isnan(float(gv.kl(gd.Poisson(1.0), gd.Poisson(-1.0))))
