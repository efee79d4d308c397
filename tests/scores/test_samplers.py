"""Samplers on Gaussian data, where the flow map, the marginals and the likelihood are known:
PF-ODE convergence order as steps double (Euler 1, Heun 2, RK4 4; DDIM 1), exact
PF log-likelihood, stochastic samplers against the exact marginal (DKW band), EDM sampler."""

import functools
import inspect
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath
import gmath.scores as gs
import gmath.testing as gt

S = gs.vp_linear()
MEAN = np.array([1.0, -0.5])
COV = np.array([[1.5, 0.4], [0.4, 0.3]])
X_T = np.array([[0.7, -1.2]])  # a batch of one point
STEPS = (32, 64, 128)


def per_example(fn):
    """The batch-level model ``(x [B, d], t [B]) -> [B, d]`` of a per-point ``fn(x [d], t)``."""
    return lambda x, t: jax.vmap(fn)(x, t)


def exact_score(x, t, schedule=S):
    one = lambda xi, ti: gt.gaussian_diffusion_score(xi, MEAN, COV, ti, schedule=schedule)
    return jax.vmap(one)(x, t)


def _pf_solve(method, n, x):
    if method == "ddim":
        return gs.ddim_sample(exact_score, x, schedule=S, num_steps=n, t_end=0.0)
    return gs.probability_flow_sample(
        exact_score, x, schedule=S, num_steps=n, method=method, t_end=0.0
    )


PF_METHODS = ("euler", "heun", "rk4", "ddim")


@functools.cache
def _pf_error_table():
    """{method: errors at STEPS}: every method and step count in one compile (one trace)."""
    ref = np.asarray(gt.gaussian_flow_map(X_T, MEAN, COV, 1.0, 0.0, schedule=S))
    run = jax.jit(lambda x: {m: [_pf_solve(m, n, x) for n in STEPS] for m in PF_METHODS})
    out = run(X_T)
    return {m: np.array([np.linalg.norm(np.asarray(v) - ref) for v in out[m]]) for m in out}


@pytest.mark.parametrize("method, order", [("euler", 1), ("heun", 2), ("rk4", 4), ("ddim", 1)])
def test_probability_flow_converges_at_the_solver_order(method, order):
    errs = _pf_error_table()[method]
    measured = np.log2(errs[:-1] / errs[1:])
    # the asymptotic order, measured on the doublings 32 -> 64 -> 128, within 0.2 of the theory
    assert np.all(np.abs(measured - order) < 0.2), measured


def test_ddim_is_exact_when_the_noise_prediction_is_constant():
    # point-mass data at c: eps_hat = (x - alpha c)/sigma is constant along the flow
    c = np.array([0.5, -2.0])
    score = lambda x, t: -(x - S.alpha(t)[:, None] * c) / S.sigma(t)[:, None] ** 2
    x = gs.ddim_sample(score, X_T, schedule=S, num_steps=3, t_end=0.01)
    eps = (X_T - S.alpha(1.0) * c) / S.sigma(1.0)
    gt.assert_allclose(x, S.alpha(0.01) * c + S.sigma(0.01) * eps, rtol=1e-12)


def _prior(y):
    return gt.gaussian_diffusion_log_prob(y, MEAN, COV, 1.0, schedule=S)


def _likelihood(x, num_steps, divergence_method="exact", cov=COV, key=None):
    score = per_example(lambda v, t: gt.gaussian_diffusion_score(v, MEAN, cov, t, schedule=S))
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
    x = np.array([[0.3, 0.2]])
    exact = float(gt.gaussian_diffusion_log_prob(x, MEAN, COV, 1e-3, schedule=S)[0])
    errs = [abs(float(LIKELIHOOD(x, n).log_prob[0]) - exact) for n in (32, 64)]
    assert errs[1] < 1e-6
    assert abs(math.log2(errs[0] / errs[1]) - 4) < 0.2  # RK4
    r = LIKELIHOOD(x, 64)
    gt.assert_allclose(r.log_prob, r.prior_log_prob + r.delta_log_prob)
    # the end point is the exact flow map, and delta = 1/2 sum log(C_T / C_0)
    gt.assert_allclose(
        r.x_end, gt.gaussian_flow_map(x, MEAN, COV, 1e-3, 1.0, schedule=S), rtol=1e-6
    )
    lam = np.linalg.eigvalsh(COV)
    c = lambda u: float(S.alpha(u)) ** 2 * lam + float(S.sigma(u)) ** 2
    gt.assert_allclose(
        r.delta_log_prob, np.asarray([0.5 * np.sum(np.log(c(1.0) / c(1e-3)))]), rtol=1e-6
    )


def test_hutchinson_likelihood_equals_exact_for_a_diagonal_jacobian():
    # diagonal data covariance: the PF drift has a diagonal Jacobian, so Rademacher probes are
    # exact and the Hutchinson likelihood equals the exact one for any key.
    cov = np.diag([1.5, 0.3])
    x = np.array([[0.3, 0.2]])
    exact = LIKELIHOOD(x, 16, "exact", cov)
    hutch = LIKELIHOOD(x, 16, "hutchinson", cov, jax.random.key(0))
    gt.assert_allclose(hutch.log_prob, exact.log_prob, rtol=1e-12)


def test_edm_sampler_without_churn_is_heun_on_the_edm_flow():
    e = gs.edm()
    sigmas = gs.karras_sigmas(8, sigma_min=0.01, sigma_max=10.0)[:-1]  # end at sigma_min > 0
    den = per_example(lambda x, s: gt.gaussian_optimal_denoiser(x, MEAN, COV, s, schedule=e))
    x = np.array([[3.0, -4.0]])
    out = gs.edm_sample(jax.random.key(0), den, x, sigmas=sigmas)
    score = lambda v, t: (den(v, t) - v) / t[:, None] ** 2
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
        den = per_example(lambda x, s: gt.gaussian_optimal_denoiser(x, MEAN, COV, s, schedule=e))
        fn = lambda k, x: gs.edm_sample(k, den, x[None], sigmas=sigmas, s_churn=20.0)[0]
        return jax.vmap(fn)(keys, x0), (e, 0.05)
    kw = dict(schedule=S, num_steps=200, t_end=0.01)
    if name == "predictor_corrector":
        # The corrector's step 2 (r ||z|| / ||s||)^2 assumes the norms concentrate (Song et al.
        # use images): isotropic data N(m 1, v I) in d = 32, projected on the first axis.
        def iso_score(x, t):
            a, s = S.alpha(t)[:, None], S.sigma(t)[:, None]
            return -(x - a * ISO_MEAN) / (a**2 * ISO_VAR + s**2)

        x0 = S.alpha(1.0) * ISO_MEAN + jax.random.normal(
            k_init, (NUM, ISO_DIM), jnp.float64
        ) * jnp.sqrt(S.alpha(1.0) ** 2 * ISO_VAR + S.sigma(1.0) ** 2)
        fn = lambda k, x: gs.predictor_corrector_sample(k, iso_score, x[None], snr=0.16, **kw)[0]
        return jax.vmap(fn)(keys, x0), (S, 0.01)
    m, c = gt.gaussian_diffusion_marginal(MEAN, COV, 1.0, schedule=S)
    x0 = jax.random.multivariate_normal(k_init, m, c, (NUM,))
    samplers = {
        "reverse_sde": lambda k, x: gs.reverse_sde_sample(k, exact_score, x[None], **kw)[0],
        "ancestral": lambda k, x: gs.ancestral_sample(k, exact_score, x[None], **kw)[0],
        "ddim_eta": lambda k, x: gs.ddim_sample(exact_score, x[None], eta=0.5, key=k, **kw)[0],
    }
    return jax.vmap(samplers[name])(keys, x0), (S, 0.01)


STOCHASTIC = ("reverse_sde", "ancestral", "ddim_eta", "predictor_corrector", "edm")


@functools.cache
def _stochastic_table():
    """{name: _run_stochastic(name, key 7)}: the five samplers in one compile."""
    return jax.jit(lambda key: {n: _run_stochastic(n, key) for n in STOCHASTIC})(jax.random.key(7))


@pytest.mark.parametrize("name", STOCHASTIC)
def test_stochastic_samplers_match_the_exact_marginal(name):
    # Exact-marginal start, exact score: the end law is the exact marginal up to O(h)
    # discretisation bias (small at these step counts). Test: DKW band on a 1-D projection,
    # false-failure probability 1e-6 (fixed key).
    samples, (schedule, t_end) = _stochastic_table()[name]
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
        jnp.ones((3, 1, 2)),
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


# ----------------------------------------------------------------------------- every schedule
# Every schedule constructor of gmath.scores, enumerated from the package (a new constructor
# fails test_every_constructor_is_covered until it is added here).
CONSTRUCTORS = sorted(
    name
    for name in gs.__all__
    if inspect.isfunction(getattr(gs, name))
    and inspect.signature(getattr(gs, name)).return_annotation
    in ("NoiseSchedule", gs.NoiseSchedule)
)
EVERY = {
    "ddpm_discrete": gs.ddpm_discrete(np.linspace(1e-4, 0.02, 1000)),
    "edm": gs.edm(),
    "learned_vdm": gs.learned_vdm(
        {"w1": 1.0, "w2": np.array([1.0, 4.0]), "b2": np.array([0.0, -2.0]), "w3": np.ones(2)}
    ),
    "rectified_flow": gs.rectified_flow(),
    "rescale_zero_terminal_snr": gs.rescale_zero_terminal_snr(gs.vp_linear()),
    "sub_vp": gs.sub_vp(),
    "vdm": gs.vdm(),
    "ve": gs.ve(),
    "vp_cosine": gs.vp_cosine(),
    "vp_linear": gs.vp_linear(),
}
EVERY_STEPS, EVERY_NUM = 128, 1000


def test_every_constructor_is_covered():
    assert CONSTRUCTORS == sorted(EVERY)


def _assert_gaussian_law(samples, mean, cov, false_failure=1e-6):
    """Samples against N(mean, cov), at most ``false_failure`` for exact iid draws.

    With z = L^-1 (x - mean) (L L^T = cov), exact draws give n |z_bar|^2 ~ chi2(d),
    sum |z_i|^2 ~ chi2(n d) and sum (u^T z_i)^2 ~ chi2(n) for unit u (known mean: exact laws).
    Five tests at false_failure / 5 each (the chi-square tests two-sided), Bonferroni.
    """
    from scipy.stats import chi2

    x = np.asarray(samples, np.float64)
    n, d = x.shape
    z = np.linalg.solve(np.linalg.cholesky(np.asarray(cov)), (x - np.asarray(mean)).T).T
    a = false_failure / 5
    stat = n * np.sum(z.mean(axis=0) ** 2)
    assert stat <= chi2.isf(a, d), f"mean: {stat} > chi2({d}) quantile {chi2.isf(a, d)}"
    u_diag = np.zeros(d)
    u_diag[[0, -1]] = 1 / math.sqrt(2)
    checks = {"total": (np.sum(z * z), n * d)}
    for label, u in (("first", np.eye(d)[0]), ("last", np.eye(d)[-1]), ("diagonal", u_diag)):
        checks[label] = (np.sum((z @ u) ** 2), n)
    for label, (value, dof) in checks.items():
        lo, hi = chi2.ppf(a / 2, dof), chi2.isf(a / 2, dof)
        assert lo <= value <= hi, f"{label} variance: {value / dof} not in [{lo / dof}, {hi / dof}]"


def _every_grid(name):
    """(num_steps, times): the default grid, or EDM's noise levels (its domain is unbounded)."""
    if name == "edm":
        return None, gs.karras_sigmas(EVERY_STEPS + 1, sigma_min=2e-3, sigma_max=80.0)[:-1]
    return EVERY_STEPS, None


def _every_sampler(name, key):
    s = EVERY[name]
    num_steps, times = _every_grid(name)
    grid = gs.time_grid(s, num_steps) if times is None else times
    score = per_example(lambda x, t: gt.gaussian_diffusion_score(x, MEAN, COV, t, schedule=s))
    k_init, k_run = jax.random.split(key)
    m, c = gt.gaussian_diffusion_marginal(MEAN, COV, grid[0], schedule=s)
    x0 = jax.random.multivariate_normal(k_init, m, c, (EVERY_NUM,))
    keys = jax.random.split(k_run, EVERY_NUM)
    kw = dict(schedule=s, num_steps=num_steps, times=times)
    samplers = {
        "probability_flow": lambda k, x: gs.probability_flow_sample(score, x, **kw),
        "reverse_sde": lambda k, x: gs.reverse_sde_sample(k, score, x, **kw),
        "ddim": lambda k, x: gs.ddim_sample(score, x, **kw),
        "ddim_eta": lambda k, x: gs.ddim_sample(score, x, eta=0.5, key=k, **kw),
        "ancestral": lambda k, x: gs.ancestral_sample(k, score, x, **kw),
    }
    # one chain per key (vmap over batches of one point), as before the batch convention
    out = {label: jax.vmap(f)(keys, x0[:, None])[:, 0] for label, f in samplers.items()}
    # The corrector's step 2 (r |z| / |s|)^2 assumes the norms concentrate (Song et al. use
    # images and norms over the batch): all the samples as one state [n, d], the score of each row.
    out["predictor_corrector"] = gs.predictor_corrector_sample(k_run, score, x0, **kw)
    return out, grid[-1]


# tests/conftest.py compiles with XLA:CPU's elemental emitter, faster for gmath's large
# straight-line programs; this table is mostly loops, which XLA's default fusion emitters compile
# faster (measured on the 2-core CPU: 29 s against 41 s, tracing included). The option is per
# program, and only set where the suite set the flag.
_LOOPS = (
    {"xla_cpu_use_fusion_emitters": True}
    if "xla_cpu_use_fusion_emitters=false" in os.environ.get("XLA_FLAGS", "")
    else None
)


@functools.cache
def _every_sampler_table():
    """{name: _every_sampler(name, key 11)}: every schedule in one compile (one trace)."""
    table = lambda key: {n: _every_sampler(n, key) for n in EVERY}
    return jax.jit(table, compiler_options=_LOOPS)(jax.random.key(11))


@pytest.mark.parametrize("name", sorted(EVERY))
def test_every_sampler_on_every_schedule_with_the_exact_score(name):
    # Regression: on rectified_flow and vp_cosine every sampler returned NaN with the default
    # grid, which started where alpha = 0. Exact-marginal start, exact score of N(MEAN, COV):
    # the end law is the exact marginal at the grid's end up to the O(h) discretisation bias,
    # below this test's resolution at 128 steps; false-failure probability 1e-6 per sampler for
    # exact draws (fixed key).
    out, t_end = _every_sampler_table()[name]
    m, c = gt.gaussian_diffusion_marginal(MEAN, COV, t_end, schedule=EVERY[name])
    for label, samples in out.items():
        assert np.all(np.isfinite(samples)), label
        try:
            _assert_gaussian_law(samples, m, c)
        except AssertionError as err:
            raise AssertionError(f"{name} / {label}: {err}") from None


LIKELIHOOD_X, LIKELIHOOD_T0, LIKELIHOOD_STEPS = np.array([[0.3, 0.2]]), 1e-5, 512


def _likelihood_case(name):
    """(schedule, sampler keywords, noisy end T) of the likelihood test on one schedule."""
    s, t0, n = EVERY[name], LIKELIHOOD_T0, LIKELIHOOD_STEPS
    kw = dict(num_steps=n, t_start=t0)
    if name == "edm":
        times = gs.karras_sigmas(n + 1, sigma_min=t0, sigma_max=80.0)[:-1][::-1]
        kw = dict(times=times)
    elif name == "ddpm_discrete":
        # Equal betas: log alpha is linear across the 1000 knots. With unequal betas beta(t) jumps
        # at every knot and any fixed-step solver is first order there, whatever the library.
        s = gs.ddpm_discrete(np.full(1000, 0.01))
    big_t = float(kw["times"][-1]) if "times" in kw else float(gs.time_grid(s, 1)[0])
    return s, kw, big_t


def _likelihood_on(case, v):
    s, kw, big_t = case
    score = per_example(lambda y, t: gt.gaussian_diffusion_score(y, MEAN, COV, t, schedule=s))
    prior = lambda y: gt.gaussian_diffusion_log_prob(y, MEAN, COV, big_t, schedule=s)
    return gs.probability_flow_log_likelihood(score, v, schedule=s, prior_log_prob=prior, **kw)


@functools.cache
def _likelihood_table():
    """{name: probability_flow_log_likelihood on that schedule}: every schedule in one compile."""
    cases = {n: _likelihood_case(n) for n in EVERY}  # eagerly: the grids' ends are floats
    return jax.jit(lambda v: {n: _likelihood_on(c, v) for n, c in cases.items()})(LIKELIHOOD_X)


@pytest.mark.parametrize("name", sorted(EVERY))
def test_likelihood_on_every_schedule_matches_the_closed_form(name):
    # Regression: NaN on rectified_flow and vp_cosine with the default grid. The default noise
    # end is time_grid's default start (t_max, or t_max - 1e-3 where alpha = 0); with the exact
    # prior there, log p_{t0}(x) is exact up to RK4's O(h^4) error (< 1e-6 at 512 steps).
    s, _, big_t = _likelihood_case(name)
    x, t0 = LIKELIHOOD_X, LIKELIHOOD_T0
    r = _likelihood_table()[name]
    exact = gt.gaussian_diffusion_log_prob(x, MEAN, COV, t0, schedule=s)
    gt.assert_allclose(r.log_prob, exact, atol=1e-6, rtol=0)
    gt.assert_allclose(
        r.x_end, gt.gaussian_flow_map(x, MEAN, COV, t0, big_t, schedule=s), rtol=1e-5
    )


def test_grids_are_checked():
    # Regression: reverse_sde_sample with increasing times integrated forward silently.
    k, up = jax.random.key(0), jnp.linspace(0.1, 1.0, 5)
    stochastic = {
        "reverse_sde_sample": lambda t: gs.reverse_sde_sample(
            k, exact_score, X_T, schedule=S, times=t
        ),
        "ancestral_sample": lambda t: gs.ancestral_sample(k, exact_score, X_T, schedule=S, times=t),
        "ddim_sample": lambda t: gs.ddim_sample(
            exact_score, X_T, schedule=S, times=t, eta=0.5, key=k
        ),
        "predictor_corrector_sample": lambda t: gs.predictor_corrector_sample(
            k, exact_score, X_T, schedule=S, times=t
        ),
    }
    den = lambda x, s: x * 0
    # traced: NaN by default (every bad grid below in one compile), InvalidParameterError in
    # checks mode
    traced = jax.jit(
        lambda t, sigmas: {
            **{owner: fn(t) for owner, fn in stochastic.items()},
            "likelihood": gs.probability_flow_log_likelihood(
                exact_score, X_T, schedule=S, times=t[::-1]
            ).log_prob,
            "edm": gs.edm_sample(k, den, X_T, sigmas=sigmas),
        }
    )(up, jnp.array([0.1, 1.0]))
    for owner, fn in stochastic.items():
        with pytest.raises(ValueError, match=f"{owner}: times must be strictly decreasing"):
            fn(up)
        assert np.all(np.isnan(traced[owner])), owner
        with gmath.config.checks(True), pytest.raises(Exception, match="strictly decreasing"):
            jax.block_until_ready(jax.jit(lambda t, f=fn: f(t))(up))  # a fresh trace
        with pytest.raises(ValueError, match="domain"):
            fn(jnp.array([1.5, 0.5, 0.1]))
        with pytest.raises(ValueError, match="strictly decreasing"):
            fn(jnp.array([1.0, 0.5, 0.5, 0.1]))
    # deterministic maps run both ways (encoding, DDIM inversion); the likelihood goes up
    deterministic = {
        "probability_flow_sample": lambda t: gs.probability_flow_sample(
            exact_score, X_T, schedule=S, times=t
        ),
        "ddim_sample": lambda t: gs.ddim_sample(exact_score, X_T, schedule=S, times=t),
    }
    for owner, fn in deterministic.items():
        assert np.all(np.isfinite(fn(up))) and np.all(np.isfinite(fn(up[::-1])))
        with pytest.raises(ValueError, match=f"{owner}: times must be strictly monotone"):
            fn(jnp.array([1.0, 0.5, 0.7]))
    with pytest.raises(ValueError, match="strictly increasing"):
        gs.probability_flow_log_likelihood(exact_score, X_T, schedule=S, times=up[::-1])
    assert np.isnan(traced["likelihood"])  # traced up[::-1]
    # a grid may not reach alpha = 0, where f and g^2 are infinite
    rf = gs.rectified_flow()
    with pytest.raises(ValueError, match="alpha_t = 0"):
        gs.probability_flow_log_likelihood(exact_score, X_T, schedule=rf, num_steps=4, t_end=1.0)
    with pytest.raises(ValueError, match="alpha_t = 0"):
        gs.reverse_sde_sample(k, exact_score, X_T, schedule=rf, times=jnp.array([1.0, 0.5]))
    assert float(gs.time_grid(rf, 4)[0]) == 1 - 1e-3 and float(gs.time_grid(S, 4)[0]) == 1.0
    # EDM noise levels: finite, >= 0, strictly decreasing
    with pytest.raises(ValueError, match="edm_sample: sigmas must be"):
        gs.edm_sample(k, den, X_T, sigmas=jnp.array([0.1, 1.0, 2.0]))
    with pytest.raises(ValueError, match="edm_sample: sigmas must be"):
        gs.edm_sample(k, den, X_T, sigmas=jnp.array([2.0, 1.0, -1.0]))
    assert np.all(np.isnan(traced["edm"]))  # traced increasing sigmas [0.1, 1.0]


def test_random_samplers_check_their_key():
    bad = {"key": 0}
    calls = {
        "reverse_sde_sample": lambda: gs.reverse_sde_sample(
            0, exact_score, X_T, schedule=S, num_steps=2
        ),
        "ancestral_sample": lambda: gs.ancestral_sample(
            0, exact_score, X_T, schedule=S, num_steps=2
        ),
        "ddim_sample": lambda: gs.ddim_sample(
            exact_score, X_T, schedule=S, num_steps=2, eta=1.0, **bad
        ),
        "predictor_corrector_sample": lambda: gs.predictor_corrector_sample(
            0, exact_score, X_T, schedule=S, num_steps=2
        ),
        "edm_sample": lambda: gs.edm_sample(0, lambda x, s: x, X_T, sigmas=gs.karras_sigmas(2)),
        "probability_flow_log_likelihood": lambda: gs.probability_flow_log_likelihood(
            exact_score, X_T, schedule=S, num_steps=2, divergence_method="hutchinson", **bad
        ),
    }
    for owner, call in calls.items():
        with pytest.raises(TypeError, match=f"{owner}: key must be a jax.random key"):
            call()
