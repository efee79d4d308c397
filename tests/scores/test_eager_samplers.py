"""Samplers, the probability-flow likelihood and Langevin chains compile once per shape and static
option (gmath._jit.cached): a second eager call compiles nothing and gives the same values, and a
concrete invalid grid still raises ValueError before the compiled call."""

import jax
import jax.numpy as jnp
import pytest

import gmath.scores as gs

from _compile import assert_second_call_compiles_nothing, count_compilations

SCHEDULE = gs.vp_linear()


def score(x, t):
    """The exact score of x_t when x_0 = 0: N(0, sigma_t^2 I)."""
    return -x / SCHEDULE.sigma(t)[:, None] ** 2


def denoiser(x, sigma):
    """The exact denoiser when x_0 = 0."""
    return jnp.zeros_like(x)


KEY = jax.random.key(0)
X = jnp.ones((4, 2))
CALLS = {
    "probability_flow_sample": lambda: gs.probability_flow_sample(
        score, X, schedule=SCHEDULE, num_steps=4
    ),
    "reverse_sde_sample": lambda: gs.reverse_sde_sample(
        KEY, score, X, schedule=SCHEDULE, num_steps=4
    ),
    "ddim_sample": lambda: gs.ddim_sample(score, X, schedule=SCHEDULE, num_steps=4),
    "ancestral_sample": lambda: gs.ancestral_sample(KEY, score, X, schedule=SCHEDULE, num_steps=4),
    "predictor_corrector_sample": lambda: gs.predictor_corrector_sample(
        KEY, score, X, schedule=SCHEDULE, num_steps=4
    ),
    "edm_sample": lambda: gs.edm_sample(KEY, denoiser, X, sigmas=jnp.array([2.0, 1.0, 0.0])),
    "probability_flow_log_likelihood": lambda: (
        gs.probability_flow_log_likelihood(score, X[:1], schedule=SCHEDULE, num_steps=4).log_prob
    ),
    "annealed_langevin_sample": lambda: gs.annealed_langevin_sample(
        KEY,
        score,
        X,
        sigmas=jnp.array([1.0, 0.5]),
        num_steps_per_level=3,
        step_size=1e-3,
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_second_eager_call_compiles_nothing(name):
    assert_second_call_compiles_nothing(name, CALLS[name])


def test_sample_chain_second_call_compiles_nothing():
    kernel = gs.mala(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
    state = kernel.init(jnp.zeros(2))
    gs.sample_chain(KEY, kernel, state, num_steps=5)
    with count_compilations() as count:
        gs.sample_chain(KEY, kernel, state, num_steps=5)
    assert count[0] == 0


def test_concrete_invalid_grids_still_raise_before_compiling():
    # increasing times integrate forward: a ValueError, not a silent forward run (or NaN)
    with pytest.raises(ValueError, match="strictly decreasing"):
        gs.reverse_sde_sample(KEY, score, X, schedule=SCHEDULE, times=jnp.array([0.1, 0.5, 1.0]))
    with pytest.raises(ValueError, match="sigmas"):
        gs.edm_sample(KEY, denoiser, X, sigmas=jnp.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="sigmas"):
        gs.annealed_langevin_sample(
            KEY, score, X, sigmas=jnp.array([0.5, 1.0]), num_steps_per_level=2, step_size=1e-3
        )
