"""Samplers as kernels run by one driver: every public sampler is exactly its kernel run by
``run_sampler`` (same keys, same grid, bit for bit), and a kernel written by a user (Heun on the
probability-flow ODE) runs through the public driver and converges at order 2 to the exact flow
map of Gaussian data."""

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
X = jnp.array([[0.7, -1.2], [0.3, 0.1]])
KEY = jax.random.key(3)
TIMES = gs.time_grid(S, 6, t_end=0.01)
SIGMAS = gs.karras_sigmas(6)
LEVELS = jnp.array([1.0, 0.5, 0.1])


def score(x, t):
    one = lambda xi, ti: gt.gaussian_diffusion_score(xi, MEAN, COV, ti, schedule=S)
    return jax.vmap(one)(x, t)


def denoiser(x, sigma):
    return 0.5 * x / (1 + sigma[:, None] ** 2)


# (wrapper, kernel, key of the driver, grid of the driver)
CASES = {
    "probability_flow_rk4": (
        lambda: gs.probability_flow_sample(score, X, schedule=S, times=TIMES, method="rk4"),
        lambda: gs.probability_flow_kernel(score, schedule=S, method="rk4"),
        None,
        TIMES,
    ),
    "reverse_sde": (
        lambda: gs.reverse_sde_sample(KEY, score, X, schedule=S, times=TIMES),
        lambda: gs.reverse_sde_kernel(score, schedule=S),
        KEY,
        TIMES,
    ),
    "ddim": (
        lambda: gs.ddim_sample(score, X, schedule=S, times=TIMES),
        lambda: gs.ddim_kernel(score, schedule=S),
        None,
        TIMES,
    ),
    "ddim_eta": (
        lambda: gs.ddim_sample(score, X, schedule=S, times=TIMES, eta=0.5, key=KEY),
        lambda: gs.ddim_kernel(score, schedule=S, eta=0.5),
        KEY,
        TIMES,
    ),
    "ancestral": (
        lambda: gs.ancestral_sample(KEY, score, X, schedule=S, times=TIMES),
        lambda: gs.ancestral_kernel(score, schedule=S),
        KEY,
        TIMES,
    ),
    "predictor_corrector": (
        lambda: gs.predictor_corrector_sample(
            KEY, score, X, schedule=S, times=TIMES, num_corrector_steps=2
        ),
        lambda: gs.predictor_corrector_kernel(score, schedule=S, num_corrector_steps=2),
        KEY,
        TIMES,
    ),
    "edm_churn": (
        lambda: gs.edm_sample(KEY, denoiser, X, sigmas=SIGMAS, s_churn=10.0, s_tmin=0.1),
        lambda: gs.edm_kernel(denoiser, num_steps=6, s_churn=10.0, s_tmin=0.1),
        KEY,
        SIGMAS,
    ),
    "annealed_langevin": (
        lambda: gs.annealed_langevin_sample(
            KEY, score, X, sigmas=LEVELS, num_steps_per_level=3, step_size=1e-2
        ),
        lambda: gs.annealed_langevin_kernel(
            score, sigma_min=LEVELS[-1], num_steps_per_level=3, step_size=1e-2
        ),
        KEY,
        jnp.concatenate([LEVELS[:1], LEVELS]),  # the first step equilibrates at sigma_1
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_sampler_is_its_kernel_run_by_the_driver(name):
    wrapper, kernel, key, grid = CASES[name]
    state = gs.run_sampler(key, kernel(), X, grid)
    assert isinstance(state, gs.SamplerState)
    expected = np.asarray(wrapper())
    assert np.all(np.isfinite(expected))
    np.testing.assert_array_equal(np.asarray(state.position), expected)


def heun_kernel(score_fn, schedule):
    """A user's kernel: Heun's method on the probability-flow ODE, written from the formula."""

    def field(x, t):
        tb = jnp.full(x.shape[:1], t)
        return schedule.drift(t) * x - 0.5 * schedule.diffusion_squared(t) * score_fn(x, tb)

    def step(key, state, t, t_next):
        x = state.position
        h = t_next - t
        k1 = field(x, t)
        k2 = field(x + h * k1, t_next)
        return gs.SamplerState(x + 0.5 * h * (k1 + k2))

    return gs.SamplerKernel(gs.SamplerState, step, keys_per_step=0)


def test_a_user_kernel_runs_through_the_driver_and_converges_at_its_order():
    # Gaussian data: the probability-flow map is linear and known in closed form
    kernel = heun_kernel(score, S)
    exact = np.asarray(gt.gaussian_flow_map(X, MEAN, COV, 1.0, 0.01, schedule=S))
    run = jax.jit(lambda times: gs.run_sampler(None, kernel, X, times).position)
    errors, outs = [], []
    for n in (16, 32, 64):
        times = gs.time_grid(S, n, t_end=0.01)
        out = run(times)
        outs.append(np.asarray(out))
        errors.append(float(np.max(np.abs(np.asarray(out) - exact))))
        # the same method as the built-in Heun, to rounding
        builtin = gs.probability_flow_sample(score, X, schedule=S, times=times, method="heun")
        gt.assert_allclose(out, builtin, rtol=1e-12, atol=1e-14)
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(abs(p - 2) < 0.2 for p in orders), orders
    # second order: Richardson's (4 x_h/2 - x_h) / 3 removes the h^2 term, converging faster
    richardson = (4 * outs[-1] - outs[-2]) / 3
    assert np.max(np.abs(richardson - exact)) < errors[-1] / 10


def test_the_driver_checks_its_grid_and_key():
    kernel = gs.reverse_sde_kernel(score, schedule=S)
    with pytest.raises(ValueError, match="run_sampler: times must be 1-D"):
        gs.run_sampler(KEY, kernel, X, jnp.array([1.0]))
    with pytest.raises(TypeError, match="run_sampler: key must be"):
        gs.run_sampler(None, kernel, X, TIMES)
    with pytest.raises(ValueError, match="ddim_kernel: unknown prediction type"):
        gs.ddim_kernel(score, schedule=S, prediction="noise")
    with pytest.raises(ValueError, match="probability_flow_kernel: method must be one of"):
        gs.probability_flow_kernel(score, schedule=S, method="midpoint")
    with pytest.raises(ValueError, match="predictor_corrector_kernel: num_corrector_steps"):
        gs.predictor_corrector_kernel(score, schedule=S, num_corrector_steps=-1)
    with pytest.raises(ValueError, match="edm_kernel: num_steps must be a positive int"):
        gs.edm_kernel(denoiser, num_steps=0)
    # a deterministic kernel ignores the key: None and a key give the same run
    ddim = gs.ddim_kernel(score, schedule=S)
    np.testing.assert_array_equal(
        gs.run_sampler(None, ddim, X, TIMES).position, gs.run_sampler(KEY, ddim, X, TIMES).position
    )


def test_edm_churn_outside_its_noise_window_is_finite_under_jit():
    # point-mass data at 1: D(x; sigma) = 1, and every path lands on 1 whatever the churn; with
    # the churn restricted to [s_tmin, s_tmax] some steps have gamma = 0, where the added noise
    # sqrt(s_hat^2 - s_cur^2) is exactly 0 (not the NaN of a rounded-negative square root)
    ones = lambda x, s: jnp.ones_like(x)
    x = jnp.full((3, 2), 80.0)
    run = jax.jit(lambda k: gs.edm_sample(k, ones, x, sigmas=SIGMAS, s_churn=10.0, s_tmin=0.1))
    gt.assert_allclose(run(KEY), jnp.ones((3, 2)), rtol=1e-12)
    window = jax.jit(
        lambda k: gs.edm_sample(k, ones, x, sigmas=SIGMAS, s_churn=10.0, s_tmin=1.0, s_tmax=30.0)
    )
    gt.assert_allclose(window(KEY), jnp.ones((3, 2)), rtol=1e-12)
