"""Rényi, Bhattacharyya, Hellinger, chi-squared and total variation.

Oracles: Gil et al. (2013) Rényi formula for Gaussians; Hellinger^2 and
equal-scale TV of Gaussians; D_a -> KL as a -> 1, D_{1/2} = -2 log BC, D_2 = log(1 + chi^2),
monotone in a (Hypothesis); exponential-family Rényi against quadrature of
int p^a q^(1-a) (scipy.integrate.quad, float64, compared at 1e-10 relative) and discrete
families against exact sums; TV against quadrature of |p - q|/2 and exact sums.
"""

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
from scipy.special import erf

import gmath.densities as gd
import gmath.divergences as gv
import gmath.testing as gt

_RENYI = jax.jit(gv.renyi)


def _quad(f, lo, hi, points=()):
    edges = sorted({lo, hi, *[c for c in points if lo < c < hi]})
    with warnings.catch_warnings(), np.errstate(over="ignore", under="ignore"):
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return sum(
            integrate.quad(f, a, b, epsabs=0, epsrel=1e-13, limit=500)[0]
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        )


def _renyi_quad(sp, sq, alpha, lo, hi, points=()):
    def f(x):
        lp, lq = sp.logpdf(x), sq.logpdf(x)
        e = alpha * lp + (1 - alpha) * lq
        return 0.0 if e < -700 else math.exp(e)

    return math.log(_quad(f, lo, hi, points)) / (alpha - 1)


def _gil_normal(m1, s1, m2, s2, a):
    sa2 = a * s2**2 + (1 - a) * s1**2
    return (
        math.log(s2 / s1) + math.log(s2**2 / sa2) / (2 * (a - 1)) + a * (m1 - m2) ** 2 / (2 * sa2)
    )


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.999, 2.0, 3.7])
def test_normal_matches_gil_formula_and_quadrature(alpha):
    m1, s1, m2, s2 = 0.3, 1.2, -1.0, 1.5
    p, q = gd.Normal(m1, s1), gd.Normal(m2, s2)
    value = float(gv.renyi(p, q, alpha))
    np.testing.assert_allclose(value, _gil_normal(m1, s1, m2, s2, alpha), rtol=1e-10)
    ref = _renyi_quad(ss.norm(m1, s1), ss.norm(m2, s2), alpha, -np.inf, np.inf, (m1, m2))
    np.testing.assert_allclose(value, ref, rtol=1e-10)


@given(p=gt.normals(batch_shape=(3,)), q=gt.normals(batch_shape=(3,)))
def test_renyi_identities_on_gaussians(p, q):
    alphas = jnp.array([0.25, 0.5, 0.9, 1.0, 1.5, 2.0, 4.0])[:, None]
    d = np.asarray(_RENYI(p, q, alphas))
    kl = np.asarray(gv.kl(p, q))
    # alpha = 1 is KL; monotone non-decreasing in alpha (inf allowed at large alpha)
    np.testing.assert_allclose(d[3], kl, rtol=1e-12)
    finite = np.isfinite(d)
    assert np.all(finite[:-1] | ~finite[1:])  # once infinite, stays infinite
    both = finite[:-1] & finite[1:]
    step = np.where(both, np.diff(np.where(finite, d, 0.0), axis=0), 0.0)
    assert np.all(step >= -1e-12 * (1 + np.abs(np.where(finite, d, 0.0)[1:])))
    # D_{1/2} = 2 B = -2 log BC; Hellinger^2 = 1 - BC
    m1, s1 = np.asarray(p.loc), np.asarray(p.scale)
    m2, s2 = np.asarray(q.loc), np.asarray(q.scale)
    # -log BC in closed form, sqrt(2 s1 s2/(s1^2+s2^2)) exp(-(m1-m2)^2/(4(s1^2+s2^2))),
    # rearranged so that it is accurate when BC is close to 1
    minus_log_bc = (m1 - m2) ** 2 / (4 * (s1**2 + s2**2)) + 0.5 * np.log1p(
        (s1 - s2) ** 2 / (2 * s1 * s2)
    )
    # relative accuracy ends at the subnormals: a loc difference of 3e-161 gives a true value
    # of 1.4e-322, whose float64 rounding (here to 0) is absolute, below the smallest normal
    tiny = np.finfo(np.float64).tiny
    np.testing.assert_allclose(
        np.asarray(gv.bhattacharyya(p, q)), minus_log_bc, rtol=1e-10, atol=tiny
    )
    np.testing.assert_allclose(
        np.asarray(gv.hellinger_squared(p, q)), -np.expm1(-minus_log_bc), rtol=1e-10, atol=tiny
    )
    np.testing.assert_allclose(d[1], 2 * np.asarray(gv.bhattacharyya(p, q)), rtol=1e-12)
    # D_2 = log(1 + chi^2)
    chi2 = np.asarray(gv.chi_squared(p, q))
    small = d[5] < 700  # chi^2 = e^{D_2} - 1 overflows float64 beyond
    np.testing.assert_allclose(np.log1p(chi2[small]), d[5][small], rtol=1e-10)
    assert np.all(chi2[~small] == np.inf)


def test_renyi_near_one_tends_to_kl():
    p, q = gd.Normal(0.3, 1.2), gd.Normal(-1.0, 1.5)
    kl = float(gv.kl(p, q))
    for eps in (1e-3, 1e-5):
        for a in (1 - eps, 1 + eps):
            # D_a = KL + O(eps): the derivative of D_a at 1 is a few units here
            assert abs(float(gv.renyi(p, q, a)) - kl) < 10 * eps


def test_chi_squared_matches_quadrature_and_diverges():
    sp, sq = ss.norm(0.3, 1.0), ss.norm(-0.5, 1.2)
    ref = _quad(lambda x: sp.pdf(x) ** 2 / sq.pdf(x), -40, 40, (0.3,)) - 1
    gt.assert_allclose(gv.chi_squared(gd.Normal(0.3, 1.0), gd.Normal(-0.5, 1.2)), np.asarray(ref))
    # int p^2 / q diverges when 2 s_q^2 <= s_p^2
    assert gv.chi_squared(gd.Normal(0.0, 2.0), gd.Normal(0.0, 1.0)) == np.inf
    assert gv.renyi(gd.Normal(0.0, 2.0), gd.Normal(0.0, 1.0), 5.0) == np.inf


_EXP_CASES = [
    (
        "Exponential",
        lambda: (gd.Exponential(2.0), gd.Exponential(0.7)),
        lambda: (ss.expon(scale=0.5), ss.expon(scale=1 / 0.7)),
        0.0,
        np.inf,
    ),
    (
        "Gamma",
        lambda: (gd.Gamma(2.5, 1.5), gd.Gamma(0.8, 0.6)),
        lambda: (ss.gamma(2.5, scale=1 / 1.5), ss.gamma(0.8, scale=1 / 0.6)),
        0.0,
        np.inf,
    ),
    (
        "Beta",
        lambda: (gd.Beta(2.5, 1.5), gd.Beta(0.9, 3.0)),
        lambda: (ss.beta(2.5, 1.5), ss.beta(0.9, 3.0)),
        0.0,
        1.0,
    ),
    (
        "LogNormal",
        lambda: (gd.LogNormal(0.2, 0.5), gd.LogNormal(-0.3, 0.9)),
        lambda: (ss.lognorm(0.5, scale=math.exp(0.2)), ss.lognorm(0.9, scale=math.exp(-0.3))),
        0.0,
        np.inf,
    ),
    (
        "HalfNormal",
        lambda: (gd.HalfNormal(0.9), gd.HalfNormal(1.5)),
        lambda: (ss.halfnorm(scale=0.9), ss.halfnorm(scale=1.5)),
        0.0,
        np.inf,
    ),
]
_EXP_HERE = [c for c in _EXP_CASES if hasattr(gd, c[0])]


@pytest.mark.parametrize(
    ("name", "make", "make_ref", "lo", "hi"), _EXP_HERE, ids=[c[0] for c in _EXP_HERE]
)
def test_exponential_family_renyi_matches_quadrature(name, make, make_ref, lo, hi):
    p, q = make()
    sp, sq = make_ref()
    for alpha in (0.3, 0.5, 1.6):
        ref = _renyi_quad(sp, sq, alpha, lo, hi, (1.0,) if hi == np.inf else (0.5,))
        np.testing.assert_allclose(float(gv.renyi(p, q, alpha)), ref, rtol=1e-10)


def _discrete_renyi(lp, lq, alpha):
    mask = np.isfinite(lp) & np.isfinite(lq)
    return math.log(np.sum(np.exp(alpha * lp[mask] + (1 - alpha) * lq[mask]))) / (alpha - 1)


def test_discrete_renyi_matches_exact_sums():
    k = np.arange(0, 300)
    cases = [
        (gd.Poisson(3.5), gd.Poisson(7.2), ss.poisson(3.5).logpmf(k), ss.poisson(7.2).logpmf(k)),
        (  # alpha log(1 - p) + (1 - alpha) log(1 - q) < 0: the series converges
            gd.Geometric(probs=0.6),
            gd.Geometric(probs=0.3),
            ss.nbinom(1, 0.6).logpmf(k),
            ss.nbinom(1, 0.3).logpmf(k),
        ),
        (
            gd.Categorical(probs=jnp.array([0.1, 0.2, 0.7])),
            gd.Categorical(logits=jnp.log(jnp.array([0.3, 0.3, 0.4]))),
            np.log([0.1, 0.2, 0.7]),
            np.log([0.3, 0.3, 0.4]),
        ),
        (
            gd.Bernoulli(probs=0.2),
            gd.Bernoulli(probs=0.9),
            np.log([0.8, 0.2]),
            np.log([0.1, 0.9]),
        ),
    ]
    if hasattr(gd, "Binomial"):
        j = np.arange(0, 13)
        cases.append(
            (
                gd.Binomial(12.0, probs=0.3),
                gd.Binomial(12.0, probs=0.55),
                ss.binom(12, 0.3).logpmf(j),
                ss.binom(12, 0.55).logpmf(j),
            )
        )
    for p, q, lp, lq in cases:
        for alpha in (0.5, 2.0, 3.0):
            gt.assert_allclose(gv.renyi(p, q, alpha), np.asarray(_discrete_renyi(lp, lq, alpha)))


def test_uniform_renyi_and_total_variation():
    p, q = gd.Uniform(0.0, 1.0), gd.Uniform(-1.0, 3.0)
    for alpha in (0.5, 2.0):
        gt.assert_allclose(gv.renyi(p, q, alpha), np.asarray(math.log(4.0)))
    assert gv.renyi(q, p, 2.0) == np.inf
    # partial overlap: int p^a q^(1-a) = overlap * Lp^-a * Lq^(a-1)
    p2 = gd.Uniform(0.0, 2.0)
    q2 = gd.Uniform(1.0, 4.0)
    ref = math.log(1.0 * 2.0**-0.5 * 3.0**-0.5) / (0.5 - 1)
    gt.assert_allclose(gv.renyi(p2, q2, 0.5), np.asarray(ref))
    gt.assert_allclose(gv.total_variation(p2, q2), np.asarray(1 - 1 / 3))


def test_total_variation_closed_forms():
    # equal-scale Gaussians: erf(|m1 - m2| / (2 sqrt 2 s))
    gt.assert_allclose(
        gv.total_variation(gd.Normal(0.3, 1.7), gd.Normal(-1.1, 1.7)),
        np.asarray(erf(1.4 / (2 * math.sqrt(2) * 1.7))),
    )
    # unequal scales, and Exponential: quadrature of |p - q| / 2
    for m1, s1, m2, s2 in [(0.3, 1.2, -1.0, 0.5), (0.0, 1.0, 0.0, 3.0), (2.0, 0.3, 0.0, 1.0)]:
        sp, sq = ss.norm(m1, s1), ss.norm(m2, s2)
        tv = gv.total_variation(gd.Normal(m1, s1), gd.Normal(m2, s2))
        # the crossing points of the densities (roots of log p - log q) are the kinks of |p - q|
        coeffs = [
            0.5 / s2**2 - 0.5 / s1**2,
            m1 / s1**2 - m2 / s2**2,
            0.5 * (m2 / s2) ** 2 - 0.5 * (m1 / s1) ** 2 + math.log(s2 / s1),
        ]
        cross = tuple(np.real(np.roots(coeffs)))
        ref = 0.5 * _quad(lambda x, sp=sp, sq=sq: abs(sp.pdf(x) - sq.pdf(x)), -60, 60, cross)
        np.testing.assert_allclose(float(tv), ref, rtol=1e-9)
    l1, l2 = 2.0, 0.7
    x = math.log(l1 / l2) / (l1 - l2)
    ref = 0.5 * _quad(lambda t: abs(l1 * math.exp(-l1 * t) - l2 * math.exp(-l2 * t)), 0, 200, (x,))
    np.testing.assert_allclose(
        float(gv.total_variation(gd.Exponential(l1), gd.Exponential(l2))), ref, rtol=1e-10
    )


def test_total_variation_discrete_matches_exact_sums():
    k = np.arange(0, 400)
    half_l1 = lambda a, b: 0.5 * float(np.sum(np.abs(a - b)))
    for r1, r2 in [(3.5, 7.2), (40.0, 31.0), (0.2, 2.0)]:
        ref = half_l1(ss.poisson(r1).pmf(k), ss.poisson(r2).pmf(k))
        gt.assert_allclose(
            gv.total_variation(gd.Poisson(r1), gd.Poisson(r2)), np.asarray(ref), rtol=1e-9
        )
    for p1, p2 in [(0.3, 0.6), (0.9, 0.05)]:
        ref = half_l1(ss.nbinom(1, p1).pmf(k), ss.nbinom(1, p2).pmf(k))
        gt.assert_allclose(
            gv.total_variation(gd.Geometric(probs=p1), gd.Geometric(probs=p2)),
            np.asarray(ref),
            rtol=1e-9,
        )
    gt.assert_allclose(
        gv.total_variation(gd.Bernoulli(probs=0.3), gd.Bernoulli(logits=0.0)), np.asarray(0.2)
    )
    a, b = np.array([0.1, 0.2, 0.7]), np.array([0.3, 0.3, 0.4])
    gt.assert_allclose(
        gv.total_variation(gd.Categorical(probs=a), gd.Categorical(probs=b)),
        np.asarray(half_l1(a, b)),
    )
    if hasattr(gd, "Binomial"):
        j = np.arange(0, 21)
        for p1, p2 in [(0.3, 0.55), (0.9, 0.2), (0.5, 0.5)]:
            ref = half_l1(ss.binom(20, p1).pmf(j), ss.binom(20, p2).pmf(j))
            gt.assert_allclose(
                gv.total_variation(gd.Binomial(20.0, probs=p1), gd.Binomial(20.0, probs=p2)),
                np.asarray(ref),
                rtol=1e-9,
                atol=1e-15,
            )


def test_gradients_transforms_and_dtypes():
    f = lambda m1, s1, m2, s2, a: gv.renyi(gd.Normal(m1, s1), gd.Normal(m2, s2), a)
    check_grads(jax.jit(f), (0.3, 1.2, -0.5, 0.9, 0.7), order=1, modes=("rev",))
    g = lambda m1, s1, m2, s2: gv.total_variation(gd.Normal(m1, s1), gd.Normal(m2, s2))
    check_grads(jax.jit(g), (0.3, 1.2, -0.5, 0.9), order=1, modes=("rev",))
    locs = jnp.linspace(-1.0, 1.0, 2)
    fn = lambda m: jnp.stack(
        [
            gv.renyi(gd.Normal(m, 1.0), gd.Normal(0.5, 1.3), 0.7),
            gv.hellinger_squared(gd.Normal(m, 1.0), gd.Normal(0.5, 1.3)),
            gv.total_variation(gd.Normal(m, 1.0), gd.Normal(0.5, 1.3)),
        ]
    )
    gt.assert_transform_consistent(fn, locs)
    p32 = gd.Normal(jnp.float32(0.0), jnp.float32(1.0))
    q32 = gd.Normal(jnp.float32(1.0), jnp.float32(2.0))
    for fn in (gv.bhattacharyya, gv.hellinger_squared, gv.chi_squared, gv.total_variation):
        assert fn(p32, q32).dtype == jnp.float32
    assert gv.renyi(p32, q32, 0.5).dtype == jnp.float32
    with pytest.raises(NotImplementedError, match="renyi: no closed form for \\(Cauchy, Cauchy\\)"):
        gv.renyi(gd.Cauchy(0.0, 1.0), gd.Cauchy(1.0, 1.0), 0.5)
    with pytest.raises(NotImplementedError, match="total_variation"):
        gv.total_variation(gd.Cauchy(0.0, 1.0), gd.Cauchy(1.0, 1.0))


@given(
    p=gt.poissons(batch_shape=(3,)),
    q=gt.poissons(batch_shape=(3,)),
    alpha=st.floats(0.05, 5.0),
)
def test_renyi_nonnegative_and_bounded_by_kl_below_one(p, q, alpha):
    d = np.asarray(_RENYI(p, q, alpha))
    kl = np.asarray(gv.kl(p, q))
    assert np.all(d >= -1e-12)
    if alpha < 1:
        assert np.all(d <= kl + 1e-10 * (1 + kl))
    else:
        assert np.all(d >= kl - 1e-10 * (1 + kl))


def test_von_mises_and_multivariate_renyi():
    from scipy.special import i0e

    def vm(mu, k):
        class _VM:
            @staticmethod
            def logpdf(x):
                return k * (math.cos(x - mu) - 1) - math.log(2 * math.pi * i0e(k))

        return _VM

    p, q = gd.VonMises(0.5, 2.0), gd.VonMises(-1.0, 0.7)
    for alpha in (0.5, 2.0):
        ref = _renyi_quad(vm(0.5, 2.0), vm(-1.0, 0.7), alpha, -math.pi, math.pi, (0.5,))
        np.testing.assert_allclose(float(gv.renyi(p, q, alpha)), ref, rtol=1e-10)
    # independent coordinates: the Rényi divergence of a product is the sum
    loc_p, sd_p = jnp.array([0.3, -1.0, 2.0]), jnp.array([1.2, 0.4, 2.0])
    loc_q, sd_q = jnp.array([0.0, 1.0, 0.5]), jnp.array([1.3, 1.1, 1.0])
    mvn_p = gd.MultivariateNormalDiag(loc_p, sd_p)
    mvn_q = gd.MultivariateNormal(loc_q, covariance_matrix=jnp.diag(sd_q**2))
    for alpha in (0.5, 1.5):
        ref = np.sum(np.asarray(gv.renyi(gd.Normal(loc_p, sd_p), gd.Normal(loc_q, sd_q), alpha)))
        np.testing.assert_allclose(float(gv.renyi(mvn_p, mvn_q, alpha)), ref, rtol=1e-10)


# ---------------------------------------------------------------------------- edge regressions
_DEGENERATE = [
    gd.Bernoulli(probs=0.0), gd.Bernoulli(probs=1.0), gd.Binomial(10.0, probs=0.0),
    gd.Binomial(10.0, probs=1.0), gd.Poisson(0.0), gd.Geometric(probs=1.0),
    gd.Categorical(probs=jnp.array([0.0, 0.5, 0.5])), gd.Categorical(probs=jnp.array([0.0, 1.0])),
]  # fmt: skip


@pytest.mark.parametrize("p", _DEGENERATE, ids=lambda d: type(d).__name__)
def test_identical_degenerate_laws_have_zero_divergences(p):
    # renyi, bhattacharyya, chi_squared were inf and hellinger_squared 1 for Bernoulli(probs=0)
    for a in (1e-6, 0.5, 1 - 1e-9, 1.0, 1 + 1e-9, 2.0, 10.0):
        assert float(gv.renyi(p, p, a)) == 0.0
    assert float(gv.bhattacharyya(p, p)) == 0.0
    assert float(gv.chi_squared(p, p)) == 0.0
    assert float(gv.hellinger_squared(p, p)) == 0.0
    assert float(gv.total_variation(p, p)) == 0.0


def test_renyi_identical_laws_near_alpha_one_f32_is_zero():
    # f32 Gamma(1e4) at alpha = 0.999 gave -2.90; f32 Poisson(1e8) gave -1258
    a = jnp.float32(0.999)
    g = gd.Gamma(jnp.float32(1e4), jnp.float32(1.0))
    assert float(gv.renyi(g, g, a)) == 0.0
    p = gd.Poisson(jnp.float32(1e8))
    assert float(gv.renyi(p, p, a)) == 0.0
    # and nearby laws in f32 stay nonnegative and accurate: Poisson rates r, r(1 + 2^-10)
    r0 = np.float32(1e8)
    r1 = np.float32(r0 * np.float32(1 + 2.0**-10))
    out = gv.renyi(gd.Poisson(r0), gd.Poisson(r1), a)
    import mpmath

    with mpmath.workdps(60):
        a_, l0, l1 = (mpmath.mpf(float(v)) for v in (a, r0, r1))
        want = (l0**a_ * l1 ** (1 - a_) - a_ * l0 - (1 - a_) * l1) / (a_ - 1)
    np.testing.assert_allclose(float(out), float(want), rtol=2e-5)


def test_renyi_invalid_alpha_is_nan_or_raises():
    import gmath

    p, q = gd.Normal(0.0, 1.0), gd.Normal(1.0, 1.0)
    assert np.isnan(float(gv.renyi(p, q, -1.0)))  # was -0.5
    for a in (-1e-30, np.inf, np.nan):
        assert np.isnan(float(gv.renyi(p, q, a)))
    assert np.isnan(float(jax.jit(lambda a: gv.renyi(p, q, a))(-1.0)))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="renyi: alpha"):
            gv.renyi(p, q, -1.0)
        with pytest.raises(Exception, match="renyi: alpha"):
            jax.jit(lambda a: gv.renyi(p, q, a))(-1.0).block_until_ready()
    # alpha = 0 (full support: 0), alpha -> 1 continuous with KL, alpha > 1 divergent: inf
    assert float(gv.renyi(p, q, 0.0)) == 0.0
    kl = float(gv.kl(p, q))
    for a in (1 - 1e-9, 1 + 1e-9):
        np.testing.assert_allclose(float(gv.renyi(p, q, a)), kl, rtol=1e-8)
    assert float(gv.renyi(gd.Normal(0.0, 1.0), gd.Normal(0.0, 0.5), 4.0)) == np.inf


def test_f32_renyi_far_normals_is_finite():
    # f32 renyi(Normal(0, 1e-3), Normal(1e3, 1e2), .5) was inf (60.82)
    f = jnp.float32
    got = gv.renyi(gd.Normal(f(0), f(1e-3)), gd.Normal(f(1e3), f(1e2)), f(0.5))
    assert got.dtype == jnp.float32
    s1, s2, d = 1e-3, 1e2, 1e3
    var = 0.5 * s2**2 + 0.5 * s1**2
    # Gil et al.: D_a = a d^2 / (2 var_a) - log(var_a / (s1^(2(1-a)) s2^(2a))) / (2 (a - 1))
    want = 0.5 * d**2 / (2 * var) - math.log(var / (s1 ** (2 * 0.5) * s2 ** (2 * 0.5))) / (
        2 * (0.5 - 1)
    )
    np.testing.assert_allclose(float(got), want, rtol=1e-5)
    np.testing.assert_allclose(want, 60.81978, rtol=1e-6)


def test_renyi_named_errors():
    p, q = gd.Normal(jnp.zeros(2), 1.0), gd.Normal(jnp.zeros(3), 1.0)
    for fn in (
        lambda p, q: gv.renyi(p, q, 0.5), gv.bhattacharyya, gv.hellinger_squared,
        gv.chi_squared, gv.total_variation,
    ):  # fmt: skip
        with pytest.raises(ValueError, match=r"batch_shape \(2,\).*batch_shape \(3,\)"):
            fn(p, q)
    c2, c3 = gd.Categorical(logits=jnp.zeros(2)), gd.Categorical(logits=jnp.zeros(3))
    with pytest.raises(ValueError, match="renyi: Categoricals over 2 and 3 categories"):
        gv.renyi(c2, c3, 0.5)
    with pytest.raises(ValueError, match="total_variation: Categoricals over 2 and 3"):
        gv.total_variation(c2, c3)
