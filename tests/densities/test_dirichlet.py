"""Dirichlet: scipy.stats.dirichlet and (K = 2) scipy.stats.beta in float64; normalisation and
moments by exact Gauss–Jacobi quadrature on the 2-simplex; score = grad(log_prob); support edges;
samples (Chebyshev bands, DKW on the Beta marginal); transforms; float32; bad input."""

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
from gmath.densities import Dirichlet


@jax.jit
def _summary(p, x):
    return dict(
        log_prob=p.log_prob(x),
        score=p.score(x),
        grad=jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
        entropy=p.entropy(),
        mean=p.mean(),
        variance=p.variance(),
        covariance=p.covariance(),
        mode=p.mode(),
    )


@given(
    p=gt.dirichlets(batch_shape=(2,)),
    x=st.lists(gt.simplex_points(dim=3, min_prob=1e-3), min_size=2, max_size=2).map(np.stack),
)
def test_matches_scipy(p, x):
    out = _summary(p, x)
    alpha = np.asarray(p.concentration)
    for b in range(2):
        ref = ss.dirichlet(alpha[b])
        gt.assert_allclose(out["log_prob"][b], np.asarray(ref.logpdf(x[b])), atol=1e-10)
        gt.assert_allclose(out["entropy"][b], np.asarray(ref.entropy()), atol=1e-10)
        gt.assert_allclose(out["mean"][b], ref.mean())
        gt.assert_allclose(out["variance"][b], ref.var())
        gt.assert_allclose(out["covariance"][b], ref.cov(), atol=1e-300)
    gt.assert_allclose(out["score"], (alpha - 1) / x)
    gt.assert_allclose(out["score"], out["grad"])
    total = alpha.sum(-1, keepdims=True)
    ok = np.all(alpha > 1, -1, keepdims=True)
    expected_mode = np.where(ok, (alpha - 1) / np.where(ok, total - 3, 1.0), np.nan)
    gt.assert_allclose(out["mode"], expected_mode)


@given(a=gt.positive_arrays(shape=(2,), min_value=0.3, max_value=50.0), u=st.floats(1e-6, 1 - 1e-6))
def test_two_components_is_beta(a, u):
    value = _summary(Dirichlet(a), np.array([u, 1 - u]))
    gt.assert_allclose(value["log_prob"], np.asarray(ss.beta(a[0], a[1]).logpdf(u)), atol=1e-10)
    gt.assert_allclose(value["entropy"], np.asarray(ss.beta(a[0], a[1]).entropy()), atol=1e-10)


@given(p=gt.dirichlets())
def test_normalised_on_the_simplex_by_gauss_jacobi(p):
    # x1 = s, x2 = (1 - s) t, x3 = (1 - s)(1 - t), Jacobian (1 - s). With weights
    # s^(a-1) (1-s)^(b+c-1) and t^(b-1) (1-t)^(c-1), density / weight is a constant, so
    # Gauss–Jacobi quadrature is exact for the mass and for polynomial moments.
    a, b, c = np.asarray(p.concentration)
    s, ws = sp.roots_sh_jacobi(20, a + b + c - 1, a)
    t, wt = sp.roots_sh_jacobi(20, b + c - 1, b)
    S, T = np.meshgrid(s, t, indexing="ij")
    x = np.stack([S, (1 - S) * T, (1 - S) * (1 - T)], -1)
    weight = S ** (a - 1) * (1 - S) ** (b + c - 1) * T ** (b - 1) * (1 - T) ** (c - 1)
    density = np.exp(np.asarray(_summary(p, x)["log_prob"])) * (1 - S) / weight
    w = ws[:, None] * wt[None, :] * density
    mean = np.asarray(p.mean())
    gt.assert_allclose(np.sum(w), np.asarray(1.0), rtol=1e-9)
    gt.assert_allclose(np.einsum("ij,ijk->k", w, x), mean, rtol=1e-9)
    second = np.einsum("ij,ijk->k", w, (x - mean) ** 2)
    gt.assert_allclose(second, np.asarray(p.variance()), rtol=1e-9)


def test_outside_support_and_boundary():
    p = Dirichlet(jnp.array([2.0, 3.0, 1.0]))
    outside = jnp.array([[-0.1, 0.6, 0.5], [1.2, -0.1, -0.1]])
    assert np.all(np.isneginf(p.log_prob(outside)))
    g = jax.grad(lambda x: jnp.sum(p.log_prob(x)))(outside)
    assert np.all(g == 0)
    assert np.all(p.score(outside) == 0)
    # alpha_3 = 1 at x_3 = 0 is fine (xlogy): finite density, zero score for that coordinate
    edge = jnp.array([0.4, 0.6, 0.0])
    ref = np.log(0.4) + 2 * np.log(0.6) - np.log(sp.beta(2, 3) * sp.beta(5, 1))
    gt.assert_allclose(p.log_prob(edge), np.asarray(ref))
    gt.assert_allclose(p.score(edge), np.array([2.5, 2 / 0.6, 0.0]))


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (Chebyshev, DKW), fixed key.
    alpha = np.array([0.5, 2.0, 4.0])
    p = Dirichlet(alpha)
    x = np.asarray(p.sample(jax.random.key(0), (20_000,)))
    assert x.shape == (20_000, 3)
    gt.assert_allclose(x.sum(-1), np.ones(20_000), rtol=1e-14)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    gt.assert_samples_match_cdf(x[:, 0], ss.beta(0.5, 6.0).cdf)
    tiny = np.asarray(
        Dirichlet(jnp.array([0.01, 0.01], jnp.float32)).sample(jax.random.key(1), 100)
    )
    assert np.all(np.isfinite(tiny)) and np.allclose(tiny.sum(-1), 1, atol=1e-6)


def test_float32_and_shapes():
    alpha = jnp.array([[0.5, 2.0, 30.0], [1.0, 1.0, 1.0]], jnp.float32)
    p = Dirichlet(alpha)
    x = jnp.array([0.1, 0.3, 0.6], jnp.float32)
    out = jax.jit(lambda p, x, k: dict(_summary(p, x), sample=p.sample(k, (5,))))(
        p, x, jax.random.key(0)
    )
    for name, value in out.items():
        assert value.dtype == jnp.float32, name
    assert out["log_prob"].shape == (2,) and out["sample"].shape == (5, 2, 3)
    x64 = np.asarray(x, np.float64)
    ref = ss.dirichlet(np.asarray(alpha[0], np.float64)).logpdf(x64 / x64.sum())
    gt.assert_allclose(out["log_prob"][0], np.float32(ref), rtol=1e-5)
    assert Dirichlet(jnp.ones(3)).log_prob(jnp.zeros((4, 2, 3))).shape == (4, 2)


def test_bad_input():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        Dirichlet(1.0)
    p = Dirichlet(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x has shape \(4,\).*event_shape \(3,\)"):
        p.log_prob(jnp.full(4, 0.25))
    with pytest.raises(ValueError, match=r"x with shape \(5, 3\).*batch_shape \(2,\)"):
        p.log_prob(jnp.full((5, 3), 1 / 3))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(Dirichlet(jnp.array([1.0, -1.0])).log_prob(jnp.array([0.5, 0.5])))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="concentration must be"):
            Dirichlet(jnp.array([1.0, -1.0]))

        @jax.jit
        def f(a):
            return Dirichlet(a).log_prob(jnp.array([0.5, 0.5]))

        with pytest.raises(Exception, match="concentration must be positive"):
            jax.block_until_ready(f(jnp.array([1.0, 0.0])))


def _mp_dirichlet_entropy(alpha):
    import mpmath as mp

    with mp.workdps(50):
        al = [mp.mpf(a) for a in alpha]
        a0 = sum(al)
        log_b = sum(mp.loggamma(a) for a in al) - mp.loggamma(a0)
        return float(
            log_b + (a0 - len(al)) * mp.digamma(a0) - sum((a - 1) * mp.digamma(a) for a in al)
        )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entropy_huge_and_tiny_concentrations(dtype):
    """Stirling-form entropy: float32 Dirichlet([1e8] * 3) was 512 (mpmath -18.33); within
    16 ulps of (1 + |H|) against mpmath."""
    rows = [[1e8] * 3, [1e6, 1.0, 1e-3], [0.5, 2.0, 30.0], [1e-20, 1e-20, 1.0], [1e30, 1e30, 1e30]]
    alpha = np.array(rows).astype(dtype).astype(np.float64)
    ref = np.array([_mp_dirichlet_entropy(r) for r in alpha])
    out = np.asarray(Dirichlet(jnp.asarray(alpha, dtype)).entropy())
    assert out.dtype == dtype
    # float64: 1e-12 of (1 + |H|) (digamma and log-gamma below the series' switch carry a few
    # ulps of terms up to ~10 times |H|); float32: 16 ulps of (1 + |H|)
    tol = 1e-12 if dtype == np.float64 else 16 * float(np.finfo(dtype).eps)
    np.testing.assert_array_less(np.abs(out - ref), tol * (1 + np.abs(ref)))


def test_invalid_concentration_nan_and_off_simplex_gradient_zero():
    """A negative concentration gives NaN (log_prob, entropy, mean, variance); log_prob
    off the support has a zero (not NaN) gradient in the concentration."""
    p = Dirichlet(jnp.array([-1.0, 2.0]))
    x = jnp.array([0.5, 0.5])
    for value in (p.log_prob(x), p.entropy(), p.mean(), p.variance()):
        assert np.all(np.isnan(np.asarray(value)))
    g = jax.grad(lambda a: Dirichlet(a).log_prob(jnp.array([-0.5, 1.5])))(jnp.array([2.0, 3.0]))
    np.testing.assert_array_equal(np.asarray(g), [0.0, 0.0])
