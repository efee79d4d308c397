"""Samplers on Gaussian data, where the flow map, the marginals and the likelihood are known
(ORACLES.md): PF-ODE convergence order as steps double (Euler 1, Heun 2, RK4 4; DDIM 1), exact
PF log-likelihood, stochastic samplers against the exact marginal (DKW band), EDM sampler."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath.scores as gs
import gmath.testing as gt

S = gs.vp_linear()
MEAN = np.array([1.0, -0.5])
COV = np.array([[1.5, 0.4], [0.4, 0.3]])
X_T = np.array([0.7, -1.2])
STEPS = (16, 32, 64, 128)


def exact_score(x, t, schedule=S):
    return gt.gaussian_diffusion_score(x, MEAN, COV, t, schedule=schedule)


def _pf_errors(method):
    ref = np.asarray(gt.gaussian_flow_map(X_T, MEAN, COV, 1.0, 0.0, schedule=S))
    errs = []
    for n in STEPS:
        if method == "ddim":
            fn = functools.partial(gs.ddim_sample, exact_score, schedule=S, num_steps=n, t_end=0.0)
        else:
            fn = functools.partial(
                gs.probability_flow_sample,
                exact_score,
                schedule=S,
                num_steps=n,
                method=method,
                t_end=0.0,
            )
        errs.append(np.linalg.norm(np.asarray(jax.jit(fn)(X_T)) - ref))
    return np.array(errs)


@pytest.mark.parametrize("method, order", [("euler", 1), ("heun", 2), ("rk4", 4), ("ddim", 1)])
def test_probability_flow_converges_at_the_solver_order(method, order):
    errs = _pf_errors(method)
    measured = np.log2(errs[:-1] / errs[1:])
    # the asymptotic order, measured on the last doublings, within 0.2 of the theory
    assert np.all(np.abs(measured[1:] - order) < 0.2), measured


def test_ddim_is_exact_when_the_noise_prediction_is_constant():
    # point-mass data at c: eps_hat = (x - alpha c)/sigma is constant along the flow
    c = np.array([0.5, -2.0])
    score = lambda x, t: -(x - S.alpha(t) * c) / S.sigma(t) ** 2
    x = gs.ddim_sample(score, X_T, schedule=S, num_steps=3, t_end=0.01)
    eps = (X_T - S.alpha(1.0) * c) / S.sigma(1.0)
    gt.assert_allclose(x, S.alpha(0.01) * c + S.sigma(0.01) * eps, rtol=1e-12)


def _prior(y):
    return gt.gaussian_diffusion_log_prob(y, MEAN, COV, 1.0, schedule=S)


def _likelihood(x, num_steps, divergence_method="exact", cov=COV, key=None):
    score = lambda v, t: gt.gaussian_diffusion_score(v, MEAN, cov, t, schedule=S)
    prior = lambda y: gt.gaussian_diffusion_log_prob(y, MEAN, cov, 1.0, schedule=S)
    return gs.probability_flow_log_likelihood(
        score,
        x,
        schedule=S,
        num_steps=num_steps,
        t_start=1e-3,
        prior_log_prob=prior,
        divergence_method=divergence_method,
        key=key,
    )


LIKELIHOOD = jax.jit(_likelihood, static_argnums=(1, 2))


def test_probability_flow_log_likelihood_is_exact_on_gaussian_data():
    x = np.array([0.3, 0.2])
    exact = float(gt.gaussian_diffusion_log_prob(x, MEAN, COV, 1e-3, schedule=S))
    errs = [abs(float(LIKELIHOOD(x, n).log_prob) - exact) for n in (32, 64)]
    assert errs[1] < 1e-6
    assert abs(math.log2(errs[0] / errs[1]) - 4) < 0.2  # RK4
    r = LIKELIHOOD(x, 64)
    gt.assert_allclose(r.log_prob, r.prior_log_prob + r.delta_log_prob)
    # the end point is the exact flow map, and delta = 1/2 sum log(C_T / C_0) (ORACLES.md)
    gt.assert_allclose(
        r.x_end, gt.gaussian_flow_map(x, MEAN, COV, 1e-3, 1.0, schedule=S), rtol=1e-6
    )
    lam = np.linalg.eigvalsh(COV)
    c = lambda u: float(S.alpha(u)) ** 2 * lam + float(S.sigma(u)) ** 2
    gt.assert_allclose(
        r.delta_log_prob, np.asarray(0.5 * np.sum(np.log(c(1.0) / c(1e-3)))), rtol=1e-6
    )


def test_hutchinson_likelihood_equals_exact_for_a_diagonal_jacobian():
    # diagonal data covariance: the PF drift has a diagonal Jacobian, so Rademacher probes are
    # exact and the Hutchinson likelihood equals the exact one for any key.
    cov = np.diag([1.5, 0.3])
    x = np.array([0.3, 0.2])
    exact = LIKELIHOOD(x, 16, "exact", cov)
    hutch = LIKELIHOOD(x, 16, "hutchinson", cov, jax.random.key(0))
    gt.assert_allclose(hutch.log_prob, exact.log_prob, rtol=1e-12)


def test_edm_sampler_without_churn_is_heun_on_the_edm_flow():
    e = gs.edm()
    sigmas = gs.karras_sigmas(8, sigma_min=0.01, sigma_max=10.0)[:-1]  # end at sigma_min > 0
    den = lambda x, s: gt.gaussian_optimal_denoiser(x, MEAN, COV, s, schedule=e)
    x = np.array([3.0, -4.0])
    out = gs.edm_sample(jax.random.key(0), den, x, sigmas=sigmas)
    score = lambda v, t: (den(v, t) - v) / t**2
    heun = gs.probability_flow_sample(score, x, schedule=e, times=sigmas, method="heun")
    gt.assert_allclose(out, heun, rtol=1e-12)


NUM = 4000
U = np.array([0.6, 0.8])  # projection direction
ISO_DIM, ISO_MEAN, ISO_VAR = 32, 0.5, 0.4


def _run_stochastic(name, key):
    k_init, k_run = jax.random.split(key)
    keys = jax.random.split(k_run, NUM)
    if name == "edm":
        e = gs.edm()
        sigmas = gs.karras_sigmas(64, sigma_min=0.05, sigma_max=20.0)[:-1]
        m, c = gt.gaussian_diffusion_marginal(MEAN, COV, 20.0, schedule=e)
        x0 = jax.random.multivariate_normal(k_init, m, c, (NUM,))
        den = lambda x, s: gt.gaussian_optimal_denoiser(x, MEAN, COV, s, schedule=e)
        fn = lambda k, x: gs.edm_sample(k, den, x, sigmas=sigmas, s_churn=20.0)
        return jax.vmap(fn)(keys, x0), (e, 0.05)
    kw = dict(schedule=S, num_steps=200, t_end=0.01)
    if name == "predictor_corrector":
        # The corrector's step 2 (r ||z|| / ||s||)^2 assumes the norms concentrate (Song et al.
        # use images): isotropic data N(m 1, v I) in d = 32, projected on the first axis.
        def iso_score(x, t):
            return -(x - S.alpha(t) * ISO_MEAN) / (S.alpha(t) ** 2 * ISO_VAR + S.sigma(t) ** 2)

        x0 = S.alpha(1.0) * ISO_MEAN + jax.random.normal(
            k_init, (NUM, ISO_DIM), jnp.float64
        ) * jnp.sqrt(S.alpha(1.0) ** 2 * ISO_VAR + S.sigma(1.0) ** 2)
        fn = lambda k, x: gs.predictor_corrector_sample(k, iso_score, x, snr=0.16, **kw)
        return jax.vmap(fn)(keys, x0), (S, 0.01)
    m, c = gt.gaussian_diffusion_marginal(MEAN, COV, 1.0, schedule=S)
    x0 = jax.random.multivariate_normal(k_init, m, c, (NUM,))
    samplers = {
        "reverse_sde": lambda k, x: gs.reverse_sde_sample(k, exact_score, x, **kw),
        "ancestral": lambda k, x: gs.ancestral_sample(k, exact_score, x, **kw),
        "ddim_eta": lambda k, x: gs.ddim_sample(exact_score, x, eta=0.5, key=k, **kw),
    }
    return jax.vmap(samplers[name])(keys, x0), (S, 0.01)


@pytest.mark.parametrize(
    "name", ["reverse_sde", "ancestral", "ddim_eta", "predictor_corrector", "edm"]
)
def test_stochastic_samplers_match_the_exact_marginal(name):
    # Exact-marginal start, exact score: the end law is the exact marginal up to O(h)
    # discretisation bias (small at these step counts). Test: DKW band on a 1-D projection,
    # false-failure probability 1e-6 (fixed key).
    samples, (schedule, t_end) = jax.jit(_run_stochastic, static_argnums=0)(name, jax.random.key(7))
    if name == "predictor_corrector":
        proj = np.asarray(samples)[:, 0]
        mu = float(schedule.alpha(t_end)) * ISO_MEAN
        sd = math.sqrt(
            float(schedule.alpha(t_end)) ** 2 * ISO_VAR + float(schedule.sigma(t_end)) ** 2
        )
    else:
        m, c = gt.gaussian_diffusion_marginal(MEAN, COV, t_end, schedule=schedule)
        proj = np.asarray(samples) @ U
        mu, sd = float(U @ m), math.sqrt(float(U @ c @ U))
    from scipy.stats import norm

    gt.assert_samples_match_cdf(proj, lambda v: norm.cdf(v, mu, sd))


def test_float32_shapes_transforms_and_bad_input():
    x32 = jnp.asarray(X_T, jnp.float32)
    score32 = lambda x, t: -x
    k = jax.random.key(0)
    outs = [
        gs.probability_flow_sample(score32, x32, schedule=S, num_steps=3),
        gs.reverse_sde_sample(k, score32, x32, schedule=S, num_steps=3),
        gs.ddim_sample(score32, x32, schedule=S, num_steps=3),
        gs.ancestral_sample(k, score32, x32, schedule=S, num_steps=3),
        gs.predictor_corrector_sample(k, score32, x32, schedule=S, num_steps=3),
        gs.edm_sample(k, lambda x, s: x * 0, x32, sigmas=gs.karras_sigmas(3), s_churn=1.0),
        gs.probability_flow_log_likelihood(score32, x32, schedule=S, num_steps=3).log_prob,
    ]
    for out in outs:
        assert out.dtype == jnp.float32 and np.all(np.isfinite(out))
    keys = jax.random.split(k, 3)
    gt.assert_transform_consistent(
        lambda kk, x: gs.reverse_sde_sample(kk, exact_score, x, schedule=S, num_steps=4),
        keys,
        jnp.ones((3, 2)),
    )
    with pytest.raises(ValueError, match="pass num_steps or times"):
        gs.probability_flow_sample(exact_score, X_T, schedule=S)
    with pytest.raises(ValueError, match="method must be one of"):
        gs.probability_flow_sample(exact_score, X_T, schedule=S, num_steps=2, method="rk45")
    with pytest.raises(ValueError, match="times must be 1-D"):
        gs.reverse_sde_sample(k, exact_score, X_T, schedule=S, times=jnp.ones((2, 2)))
    with pytest.raises(ValueError, match="no finite t_max"):
        gs.time_grid(gs.edm(), 4)
    with pytest.raises(ValueError, match=r"t_end=2.0 outside"):
        gs.time_grid(S, 4, t_end=2.0)
    with pytest.raises(ValueError, match="eta > 0 needs a key"):
        gs.ddim_sample(exact_score, X_T, schedule=S, num_steps=2, eta=1.0)
    with pytest.raises(ValueError, match="needs a key"):
        gs.probability_flow_log_likelihood(
            exact_score, X_T, schedule=S, num_steps=2, divergence_method="hutchinson"
        )
