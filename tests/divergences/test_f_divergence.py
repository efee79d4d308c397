"""f-divergences and their generators.

Oracles: each generator against its textbook formula in u (float64 numpy) and against mpmath
at extreme log-ratios; f(1) = 0 and convexity; the limits f(0+) and lim f(u)/u; exact
categorical sums against the closed forms they must reproduce (KL both ways, JS, TV, Hellinger,
chi^2 both ways, Jeffreys, Amari alpha via Rényi); f-duality D_{f*}(p||q) = D_f(q||p) and
D_{f + c(u-1)} = D_f (ORACLES.md); Monte Carlo on Gaussians within 5 standard deviations of
the exact value, the variance of the terms known in closed form (normal approximation:
false-failure probability about 6e-7 per check).
"""

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given

import gmath.densities as gd
import gmath.divergences as gv
import gmath.testing as gt

G = gv.generators

# textbook formulas in u (float64)
_IN_U = {
    "kl_forward": (G.kl_forward, lambda u: u * np.log(u)),
    "kl_reverse": (G.kl_reverse, lambda u: -np.log(u)),
    "jensen_shannon": (
        G.jensen_shannon,
        lambda u: 0.5 * (u * np.log(u) - (1 + u) * np.log((1 + u) / 2)),
    ),
    "total_variation": (G.total_variation, lambda u: 0.5 * np.abs(u - 1)),
    "squared_hellinger": (G.squared_hellinger, lambda u: 0.5 * (np.sqrt(u) - 1) ** 2),
    "pearson": (G.pearson, lambda u: (u - 1) ** 2),
    "neyman": (G.neyman, lambda u: (u - 1) ** 2 / u),
    "jeffreys": (G.jeffreys, lambda u: (u - 1) * np.log(u)),
    "triangular": (G.triangular, lambda u: (u - 1) ** 2 / (u + 1)),
    "log1p_abs": (G.log1p_abs, lambda u: np.where(u >= 1, u, 1 / u) - 1),
    "modified_gan": (G.modified_gan, lambda u: np.log1p(u) - np.log(u) - np.log(2) + (u - 1) / 2),
    "amari_alpha(0.3)": (
        G.amari_alpha(0.3),
        lambda u: (u**0.3 - 1 - 0.3 * (u - 1)) / (0.3 * (0.3 - 1)),
    ),
    "amari_alpha(2.5)": (
        G.amari_alpha(2.5),
        lambda u: (u**2.5 - 1 - 2.5 * (u - 1)) / (2.5 * 1.5),
    ),
    "amari_alpha(-1)": (G.amari_alpha(-1.0), lambda u: (1 / u - 1 + (u - 1)) / 2),
    "amari_alpha(1)": (G.amari_alpha(1.0), lambda u: u * np.log(u) - (u - 1)),
    "amari_alpha(0)": (G.amari_alpha(0.0), lambda u: -np.log(u) + (u - 1)),
    "t_power(0.5)": (G.t_power(0.5), lambda u: -(np.sqrt(u) - 1 - 0.5 * (u - 1))),
    "t_power(3)": (G.t_power(3.0), lambda u: u**3 - 1 - 3 * (u - 1)),
    "t_power(-2)": (G.t_power(-2.0), lambda u: u**-2.0 - 1 + 2 * (u - 1)),
    "dual(kl_forward)": (G.dual(G.kl_forward), lambda u: -np.log(u)),
    "dual(pearson)": (G.dual(G.pearson), lambda u: (u - 1) ** 2 / u),
    "symmetrized(kl_forward)": (
        G.symmetrized(G.kl_forward),
        lambda u: 0.5 * (u * np.log(u) - np.log(u)),
    ),
}

_LU = np.linspace(-6.0, 6.0, 241)


@pytest.mark.parametrize("name", sorted(_IN_U))
def test_generator_matches_formula_is_normalised_and_convex(name):
    g, ref = _IN_U[name]
    values = np.asarray(g(jnp.asarray(_LU)))
    u = np.exp(_LU)
    np.testing.assert_allclose(values, ref(u), rtol=1e-12, atol=1e-14)
    assert float(g(0.0)) == 0.0
    # convex in u: nonnegative second divided differences on an irregular grid
    d1 = np.diff(values) / np.diff(u)
    assert np.all(np.diff(d1) >= -1e-9 * (1 + np.abs(d1[1:])))
    # recorded limits f(0+) and lim f(u)/u
    f0 = ref(np.exp(-200.0))
    if np.isfinite(g.at_zero):
        np.testing.assert_allclose(g.at_zero, f0, rtol=1e-12, atol=1e-12)
    else:
        assert f0 > 30  # (logarithmic growth for kl_reverse)
    slope = ref(np.exp(200.0)) / np.exp(200.0)
    if np.isfinite(g.at_infinity):
        np.testing.assert_allclose(g.at_infinity, slope, rtol=1e-12, atol=1e-12)
    else:
        assert slope > 30


def test_generators_are_stable_at_extreme_log_ratios():
    mpmath.mp.dps = 50

    def mp_ref(f, lu):
        return float(f(mpmath.exp(mpmath.mpf(lu))))

    refs = {
        "jensen_shannon": (
            G.jensen_shannon,
            lambda u: (u * mpmath.log(u) - (1 + u) * mpmath.log((1 + u) / 2)) / 2,
        ),
        "triangular": (G.triangular, lambda u: (u - 1) ** 2 / (u + 1)),
        "neyman": (G.neyman, lambda u: (u - 1) ** 2 / u),
        "squared_hellinger": (G.squared_hellinger, lambda u: (mpmath.sqrt(u) - 1) ** 2 / 2),
        "modified_gan": (
            G.modified_gan,
            lambda u: mpmath.log(1 + u) - mpmath.log(u) - mpmath.log(2) + (u - 1) / 2,
        ),
        "kl_reverse": (G.kl_reverse, lambda u: -mpmath.log(u)),
        "amari_alpha(0.3)": (G.amari_alpha(0.3), lambda u: (u**0.3 - 1 - 0.3 * (u - 1)) / -0.21),
        "amari_alpha(1)": (G.amari_alpha(1.0), lambda u: u * mpmath.log(u) - (u - 1)),
        "total_variation": (G.total_variation, lambda u: abs(u - 1) / 2),
    }
    for lu in (-300.0, -50.0, -1e-9, 1e-9, 50.0, 300.0):
        for name, (g, f) in refs.items():
            np.testing.assert_allclose(float(g(lu)), mp_ref(f, lu), rtol=1e-12, err_msg=name)


_P = np.array([0.1, 0.2, 0.3, 0.4])
_Q = np.array([0.25, 0.05, 0.5, 0.2])


def _cat(p):
    return gd.Categorical(probs=jnp.asarray(p))


def test_exact_sums_reproduce_closed_forms():
    p, q = _cat(_P), _cat(_Q)
    fd = lambda g, p=p, q=q: float(gv.f_divergence(p, q, g))
    kl_pq, kl_qp = float(gv.kl(p, q)), float(gv.kl(q, p))
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12)
    close(fd(G.kl_forward), kl_pq)
    close(fd(G.kl_reverse), kl_qp)
    close(fd(G.jeffreys), kl_pq + kl_qp)
    close(fd(G.symmetrized(G.kl_forward)), 0.5 * (kl_pq + kl_qp))
    close(fd(G.jensen_shannon), float(gv.categorical_js_from_logits(jnp.log(_P), jnp.log(_Q))))
    close(fd(G.total_variation), float(gv.total_variation(p, q)))
    close(fd(G.squared_hellinger), float(gv.hellinger_squared(p, q)))
    close(fd(G.pearson), float(gv.chi_squared(p, q)))
    close(fd(G.neyman), float(gv.chi_squared(q, p)))
    for a in (0.3, 2.5, -1.0):
        ref = math.expm1((a - 1) * float(gv.renyi(p, q, a))) / (a * (a - 1))
        close(fd(G.amari_alpha(a)), ref)
    # against a direct numpy sum for the rest
    for name in ("triangular", "log1p_abs", "modified_gan", "t_power(3)", "t_power(0.5)"):
        g, ref = _IN_U[name]
        close(fd(g), float(np.sum(_Q * ref(_P / _Q))))


@given(p=gt.categoricals(num_categories=5), q=gt.categoricals(num_categories=5))
def test_f_duality_and_affine_invariance(p, q):
    for g in (G.kl_forward, G.jensen_shannon, G.pearson, G.triangular, G.amari_alpha(0.3)):
        d_pq = float(gv.f_divergence(p, q, g))
        np.testing.assert_allclose(
            float(gv.f_divergence(q, p, G.dual(g))), d_pq, rtol=1e-10, atol=1e-14
        )
        shifted = gv.generators.Generator(
            "shifted", lambda lu, g=g: g(lu) + 0.7 * jnp.expm1(lu), g.at_zero - 0.7, np.inf
        )
        np.testing.assert_allclose(
            float(gv.f_divergence(p, q, shifted)), d_pq, rtol=1e-10, atol=1e-12
        )
        assert d_pq >= -1e-15


def test_zero_masses_use_the_limits():
    a = np.array([0.0, 0.5, 0.5])
    b = np.array([0.5, 0.5, 0.0])
    p, q = _cat(a), _cat(b)
    # TV = 1/2, JS: terms q f(0) = 0.5 * log2/2 and p f'(inf) = 0.5 * log2/2
    np.testing.assert_allclose(float(gv.f_divergence(p, q, G.total_variation)), 0.5, rtol=1e-14)
    np.testing.assert_allclose(
        float(gv.f_divergence(p, q, G.jensen_shannon)), 0.5 * math.log(2), rtol=1e-14
    )
    assert float(gv.f_divergence(p, q, G.kl_forward)) == np.inf
    assert float(gv.f_divergence(p, q, G.kl_reverse)) == np.inf
    np.testing.assert_allclose(
        float(gv.f_divergence(p, q, G.squared_hellinger)),
        float(gv.hellinger_squared(p, q)),
        rtol=1e-14,
    )


def test_bernoulli_and_binomial_exact():
    p, q = gd.Bernoulli(probs=0.3), gd.Bernoulli(logits=1.0)
    np.testing.assert_allclose(
        float(gv.f_divergence(p, q, G.kl_forward)), float(gv.kl(p, q)), rtol=1e-13
    )
    if hasattr(gd, "Binomial"):
        p, q = gd.Binomial(12.0, probs=0.3), gd.Binomial(12.0, probs=0.55)
        k = np.arange(13)
        ref = float(
            np.sum(
                ss.binom(12, 0.55).pmf(k)
                * (ss.binom(12, 0.3).pmf(k) / ss.binom(12, 0.55).pmf(k) - 1) ** 2
            )
        )
        np.testing.assert_allclose(float(gv.f_divergence(p, q, G.pearson)), ref, rtol=1e-10)
        # unequal counts: q has more support; KL(q || p) = inf, KL(p || q) finite
        small = gd.Binomial(5.0, probs=0.4)
        assert np.isfinite(float(gv.f_divergence(small, q, G.kl_forward)))
        assert float(gv.f_divergence(q, small, G.kl_forward)) == np.inf


def _moment(p, q, a):
    """E_q[u^a], u = p/q, = exp((a - 1) D_a(p || q))."""
    return math.exp((a - 1) * float(gv.renyi(p, q, a))) if a != 1 else 1.0


_MC = jax.jit(
    lambda key, p, q: [
        gv.f_divergence(p, q, g, key=key, num_samples=20_000)
        for g in (G.pearson, G.squared_hellinger)
    ]
)


def test_monte_carlo_on_gaussians_within_stated_error():
    p, q = gd.Normal(0.3, 1.0), gd.Normal(-0.2, 1.3)
    est_pearson, est_hellinger = _MC(jax.random.key(0), p, q)
    n = 20_000
    m = lambda a: _moment(p, q, a)
    # pearson: f = (u - 1)^2, Var = E(u-1)^4 - chi2^2
    chi2 = float(gv.chi_squared(p, q))
    fourth = m(4) - 4 * m(3) + 6 * m(2) - 4 * m(1) + 1
    sd = math.sqrt((fourth - chi2**2) / n)
    assert abs(float(est_pearson.value) - chi2) < 5 * sd
    assert abs(float(est_pearson.stderr) / sd - 1) < 0.2
    # squared Hellinger: f = (sqrt u - 1)^2 / 2
    h2 = float(gv.hellinger_squared(p, q))
    fourth = m(2) - 4 * m(1.5) + 6 * m(1) - 4 * m(0.5) + 1
    sd = math.sqrt((fourth / 4 - h2**2) / n)
    assert abs(float(est_hellinger.value) - h2) < 5 * sd
    assert abs(float(est_hellinger.stderr) / sd - 1) < 0.2


def test_errors_and_dtypes():
    with pytest.raises(ValueError, match="key= and num_samples="):
        gv.f_divergence(gd.Normal(0.0, 1.0), gd.Normal(1.0, 1.0), G.pearson)
    with pytest.raises(TypeError, match="Generator"):
        gv.f_divergence(_cat(_P), _cat(_Q), lambda lu: lu)
    p32 = gd.Categorical(probs=jnp.asarray(_P, jnp.float32))
    q32 = gd.Categorical(probs=jnp.asarray(_Q, jnp.float32))
    assert gv.f_divergence(p32, q32, G.jensen_shannon).dtype == jnp.float32
    assert G.jensen_shannon(jnp.float32(0.5)).dtype == jnp.float32
    n32 = lambda m: gd.Normal(jnp.float32(m), jnp.float32(1.0))
    est = gv.f_divergence(n32(0.0), n32(1.0), G.pearson, key=jax.random.key(0), num_samples=10)
    assert est.value.dtype == jnp.float32
