"""The public diffusion oracles check themselves: scores against autodiff of their own
log-densities, denoisers against Tweedie's formula, the flow map against the ODE it solves and
the change of variables, the minimum loss against the posterior covariance."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gmath.scores as gs
import gmath.testing as gt

SCHEDULES = {
    "vp_linear": gs.vp_linear(),
    "ve": gs.ve(),
    "rectified_flow": gs.rectified_flow(),
    "vp_cosine": gs.vp_cosine(),
}
NAMES = sorted(SCHEDULES)
D = 2


def _gaussian_checks(schedule, x, mean, cov, t):
    logp = lambda v: gt.gaussian_diffusion_log_prob(v, mean, cov, t, schedule=schedule)
    score = gt.gaussian_diffusion_score(x, mean, cov, t, schedule=schedule)
    den = gt.gaussian_optimal_denoiser(x, mean, cov, t, schedule=schedule)
    tweedie = gs.tweedie_denoiser(score, x, t, schedule=schedule)
    return score, jax.grad(logp)(x), den, tweedie


GAUSSIAN_CHECKS = jax.jit(_gaussian_checks, static_argnums=0)


@pytest.mark.parametrize("name", NAMES)
@given(
    cov=gt.spd_matrices(dim=D, min_eigenvalue=0.1, max_eigenvalue=10.0),
    mean=gt.finite_arrays(shape=(D,), min_value=-3, max_value=3),
    x=gt.finite_arrays(shape=(D,), min_value=-5, max_value=5),
    t=st.floats(0.02, 0.98),
)
def test_gaussian_score_is_grad_log_prob_and_denoiser_is_tweedie(name, cov, mean, x, t):
    s = SCHEDULES[name]
    score, autodiff, den, tweedie = GAUSSIAN_CHECKS(s, x, mean, cov, np.float64(t))
    gt.assert_allclose(score, autodiff, rtol=1e-9, atol=1e-11)
    gt.assert_allclose(den, tweedie, rtol=1e-9, atol=1e-9)
    # D* = m + alpha S (alpha^2 S + sigma^2 I)^-1 (x - alpha m)
    a, sg = float(s.alpha(t)), float(s.sigma(t))
    ref = mean + a * cov @ np.linalg.solve(a * a * cov + sg * sg * np.eye(D), x - a * mean)
    gt.assert_allclose(den, ref, rtol=1e-9, atol=1e-11)


def test_ve_marginal_oracle():
    mean, cov = np.array([1.0, -1.0]), np.array([[2.0, 0.3], [0.3, 1.0]])
    m, c = gt.gaussian_diffusion_marginal(mean, cov, 0.7, schedule=gs.ve(0.01, 50.0))
    sbar2 = (0.01 * (50.0 / 0.01) ** 0.7) ** 2
    gt.assert_allclose(m, mean)
    gt.assert_allclose(c, cov + (sbar2 - 0.01**2) * np.eye(2))


def _flow_checks(schedule, x, mean, cov, s, t):
    fmap = lambda v, u: gt.gaussian_flow_map(v, mean, cov, s, u, schedule=schedule)
    y = fmap(x, t)
    dy_dt = jax.jacfwd(fmap, argnums=1)(x, t)
    score = lambda v, u: gt.gaussian_diffusion_score(v, mean, cov, u, schedule=schedule)
    drift = gs.probability_flow_drift(score, schedule=schedule)(y, t)
    log_det = jnp.linalg.slogdet(jax.jacfwd(fmap)(x, t))[1]
    logp_s = gt.gaussian_diffusion_log_prob(x, mean, cov, s, schedule=schedule)
    logp_t = gt.gaussian_diffusion_log_prob(y, mean, cov, t, schedule=schedule)
    return y, dy_dt, drift, log_det, logp_s, logp_t


FLOW_CHECKS = jax.jit(_flow_checks, static_argnums=0)


@pytest.mark.parametrize("name", NAMES)
@given(
    cov=gt.spd_matrices(dim=D, min_eigenvalue=0.1, max_eigenvalue=10.0),
    mean=gt.finite_arrays(shape=(D,), min_value=-3, max_value=3),
    x=gt.finite_arrays(shape=(D,), min_value=-5, max_value=5),
    s=st.floats(0.02, 0.95),
    t=st.floats(0.02, 0.95),
)
def test_flow_map_solves_the_ode_and_transports_the_density(name, cov, mean, x, s, t):
    sched = SCHEDULES[name]
    y, dy_dt, drift, log_det, logp_s, logp_t = FLOW_CHECKS(
        sched, x, mean, cov, np.float64(s), np.float64(t)
    )
    scale = 1 + float(np.max(np.abs(drift)))
    gt.assert_allclose(dy_dt, drift, rtol=1e-8, atol=1e-9 * scale)
    # change of variables: log p_s(x) = log p_t(T(x)) + log |det dT/dx|
    gt.assert_allclose(logp_s, logp_t + log_det, rtol=1e-9, atol=1e-9)
    # the log-determinant in closed form: 1/2 sum log(C_t,i / C_s,i)
    lam = np.linalg.eigvalsh(cov)
    c = lambda u: float(sched.alpha(u)) ** 2 * lam + float(sched.sigma(u)) ** 2
    gt.assert_allclose(
        log_det, np.asarray(0.5 * np.sum(np.log(c(t) / c(s)))), rtol=1e-9, atol=1e-12
    )


@given(
    cov=gt.spd_matrices(dim=3, min_eigenvalue=0.01, max_eigenvalue=100.0),
    t=st.floats(0.02, 0.98),
)
def test_minimum_denoising_loss_is_the_posterior_variance(cov, t):
    # Cov(eps | x_t) = I - sigma^2 C_t^-1: its trace is the eps-MMSE; (sigma/alpha)^2 times for x0.
    s = SCHEDULES["vp_linear"]
    a, sg = float(s.alpha(t)), float(s.sigma(t))
    post = np.eye(3) - sg**2 * np.linalg.inv(a * a * cov + sg * sg * np.eye(3))
    eps_loss = gt.gaussian_minimum_denoising_loss(cov, t, schedule=s)
    gt.assert_allclose(eps_loss, np.asarray(np.trace(post)), rtol=1e-8)
    x0_loss = gt.gaussian_minimum_denoising_loss(cov, t, schedule=s, prediction="x0")
    gt.assert_allclose(x0_loss, np.asarray(np.trace(post) * sg**2 / a**2), rtol=1e-8)


WEIGHTS = np.array([0.2, 0.5, 0.3])
MEANS = np.array([[-2.0, 0.0], [1.0, 1.0], [2.0, -2.0]])
COVS = np.array([[[1.0, 0.2], [0.2, 0.5]], [[0.3, 0.0], [0.0, 0.3]], [[2.0, -0.5], [-0.5, 1.0]]])


def _mixture_checks(schedule, x, t):
    logp = lambda v: gt.mixture_diffusion_log_prob(v, WEIGHTS, MEANS, COVS, t, schedule=schedule)
    score = gt.mixture_diffusion_score(x, WEIGHTS, MEANS, COVS, t, schedule=schedule)
    den = gt.mixture_optimal_denoiser(x, WEIGHTS, MEANS, COVS, t, schedule=schedule)
    return (
        score,
        jax.vmap(jax.grad(logp))(x),
        den,
        gs.tweedie_denoiser(score, x, t, schedule=schedule),
    )


MIXTURE_CHECKS = jax.jit(_mixture_checks, static_argnums=0)


@pytest.mark.parametrize("name", NAMES)
@given(x=gt.finite_arrays(shape=(5, D), min_value=-6, max_value=6), t=st.floats(0.02, 0.98))
def test_mixture_score_and_denoiser(name, x, t):
    score, autodiff, den, tweedie = MIXTURE_CHECKS(SCHEDULES[name], x, np.float64(t))
    gt.assert_allclose(score, autodiff, rtol=1e-9, atol=1e-10)
    gt.assert_allclose(den, tweedie, rtol=1e-9, atol=1e-9)


def test_mixture_reduces_to_gaussian_and_is_normalised():
    s = SCHEDULES["vp_linear"]
    x = np.array([[0.3, -0.4], [1.0, 2.0]])
    one = lambda f, g: (
        f(x, np.ones(1), MEANS[:1], COVS[:1], 0.4, schedule=s),
        g(x, MEANS[0], COVS[0], 0.4, schedule=s),
    )
    for f, g in [
        (gt.mixture_diffusion_log_prob, gt.gaussian_diffusion_log_prob),
        (gt.mixture_diffusion_score, gt.gaussian_diffusion_score),
        (gt.mixture_optimal_denoiser, gt.gaussian_optimal_denoiser),
    ]:
        a, b = one(f, g)
        gt.assert_allclose(a, b)
    # the diffused mixture integrates to 1 (Gauss-Legendre on a box holding all the mass)
    mixture_log_prob = jax.jit(
        lambda u: gt.mixture_diffusion_log_prob(u, WEIGHTS, MEANS, COVS, 0.3, schedule=s)
    )
    dens = lambda u, v: np.exp(np.asarray(mixture_log_prob(np.stack([u, v], -1))))
    nodes, w = np.polynomial.legendre.leggauss(60)
    xs = 12 * nodes
    u, v = np.meshgrid(xs, xs, indexing="ij")
    mass = np.sum(np.outer(w, w) * dens(u, v)) * 144
    gt.assert_allclose(np.asarray(mass), np.asarray(1.0), rtol=1e-9)


def test_float32_and_bad_input():
    s = SCHEDULES["vp_linear"]
    f32 = lambda a: np.asarray(a, np.float32)
    x, m, c = f32([0.1, 0.2]), f32([0.0, 1.0]), f32(np.eye(2))
    t = np.float32(0.5)
    assert gt.gaussian_diffusion_score(x, m, c, t, schedule=s).dtype == jnp.float32
    assert gt.gaussian_flow_map(x, m, c, t, t, schedule=s).dtype == jnp.float32
    assert (
        gt.mixture_diffusion_score(x, f32(WEIGHTS), f32(MEANS), f32(COVS), t, schedule=s).dtype
        == jnp.float32
    )
    with pytest.raises(ValueError, match=r"need mean \[d\] and cov \[d, d\]"):
        gt.gaussian_diffusion_score(np.zeros(2), np.zeros(2), np.eye(3), 0.5, schedule=s)
    with pytest.raises(ValueError, match=r"x with shape \(3,\) does not end in d = 2"):
        gt.gaussian_diffusion_log_prob(np.zeros(3), np.zeros(2), np.eye(2), 0.5, schedule=s)
    with pytest.raises(ValueError, match=r"weights \[K\], means \[K, d\]"):
        gt.mixture_diffusion_score(np.zeros(2), WEIGHTS[:2], MEANS, COVS, 0.5, schedule=s)
    with pytest.raises(ValueError, match="not eps/x0"):
        gt.gaussian_minimum_denoising_loss(np.eye(2), 0.5, schedule=s, prediction="v")
