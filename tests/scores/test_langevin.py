"""Langevin kernels: MALA detailed balance exactly (deterministic identity), ULA's
stationary variance s^2 / (1 - h/(2 s^2)), MALA invariance, annealed Langevin, driver."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.scores as gs
import gmath.testing as gt


def banana(x):
    # a non-Gaussian target
    return -0.5 * x[0] ** 2 - 0.5 * (x[1] - 0.5 * x[0] ** 2) ** 2 + 0.1 * jnp.sin(3 * x[0])


def _balance(x, y, h):
    fwd = banana(x) + gs.langevin_proposal_log_density(banana, x, y, step_size=h)
    fwd = fwd + gs.mala_log_acceptance(banana, x, y, step_size=h)
    bwd = banana(y) + gs.langevin_proposal_log_density(banana, y, x, step_size=h)
    bwd = bwd + gs.mala_log_acceptance(banana, y, x, step_size=h)
    return fwd, bwd


BALANCE = jax.jit(_balance)


@given(
    x=gt.finite_arrays(shape=(2,), min_value=-2, max_value=2),
    y=gt.finite_arrays(shape=(2,), min_value=-2, max_value=2),
    h=st.floats(0.01, 1.0),
)
def test_mala_detailed_balance_exactly(x, y, h):
    # log pi(x) + log q(y|x) + log alpha(x, y) is symmetric in (x, y)
    fwd, bwd = BALANCE(x, y, np.float64(h))
    gt.assert_allclose(fwd, bwd, rtol=1e-12, atol=1e-12 * (1 + abs(float(fwd))))


@given(
    x=gt.finite_arrays(shape=(2,), min_value=-2, max_value=2),
    y=gt.finite_arrays(shape=(2,), min_value=-2, max_value=2),
    h=st.floats(0.01, 1.0),
)
def test_proposal_density_is_the_langevin_gaussian(x, y, h):
    mean = x + h * np.asarray(jax.grad(banana)(jnp.asarray(x)))
    ref = ss.multivariate_normal(mean, 2 * h * np.eye(2)).logpdf(y)
    gt.assert_allclose(
        gs.langevin_proposal_log_density(banana, x, y, step_size=h), np.asarray(ref), rtol=1e-10
    )


def test_mala_step_reports_its_acceptance_probability():
    kernel = gs.mala(banana, step_size=0.8)
    state = kernel.init(jnp.array([0.5, 1.0]))
    gt.assert_allclose(state.log_density, banana(state.position))
    gt.assert_allclose(state.score, jax.grad(banana)(state.position))
    step = jax.jit(kernel.step)
    accepted = 0
    for i in range(20):
        new, info = step(jax.random.key(i), state)
        alpha = jnp.exp(
            gs.mala_log_acceptance(banana, state.position, info.proposal, step_size=0.8)
        )
        gt.assert_allclose(info.acceptance_probability, alpha, rtol=1e-12)
        expected = info.proposal if bool(info.is_accepted) else state.position
        gt.assert_allclose(new.position, expected)
        gt.assert_allclose(new.log_density, banana(new.position))
        accepted += int(info.is_accepted)
    assert 0 < accepted < 20  # both branches exercised at this step size


NUM_CHAINS = 10_000


def _ula_chains(h, s2, num_steps):
    kernel = gs.ula(lambda x: -0.5 * jnp.sum(x**2) / s2, step_size=h)
    init = jax.vmap(kernel.init)(jnp.zeros((NUM_CHAINS, 1)))
    keys = jax.random.split(jax.random.key(0), NUM_CHAINS)
    run = lambda k, st: gs.sample_chain(k, kernel, st, num_steps=num_steps)[0].position
    return jax.vmap(run)(keys, init)[:, 0]


def test_ula_stationary_variance_bias():
    # ULA on N(0, s^2) from x = 0 is Gaussian at every step, with variance
    # v_k = v (1 - (1 - h/s^2)^(2k)), v = s^2 / (1 - h/(2 s^2)). DKW band, false
    # failure 1e-6; and the unbiased N(0, s^2) is rejected (the bias is visible).
    s2, h, k = 2.0, 1.0, 40
    x = np.asarray(jax.jit(_ula_chains, static_argnums=2)(h, s2, k))
    v = s2 / (1 - h / (2 * s2))
    vk = v * (1 - (1 - h / s2) ** (2 * k))
    gt.assert_samples_match_cdf(x, ss.norm(0, math.sqrt(vk)).cdf)
    with pytest.raises(AssertionError, match="exceeds the DKW bound"):
        gt.assert_samples_match_cdf(x, ss.norm(0, math.sqrt(s2)).cdf)


def _mala_chains():
    kernel = gs.mala(lambda x: -0.5 * jnp.sum(x**2) / 2.0, step_size=3.0)
    x0 = jax.random.normal(jax.random.key(1), (NUM_CHAINS, 1), jnp.float64) * math.sqrt(2.0)
    init = jax.vmap(kernel.init)(x0)
    keys = jax.random.split(jax.random.key(2), NUM_CHAINS)
    run = lambda k, st: gs.sample_chain(k, kernel, st, num_steps=10)
    final, (_, infos) = jax.vmap(run)(keys, init)
    return final.position[:, 0], infos.acceptance_probability


def test_mala_leaves_the_target_invariant():
    # started from pi = N(0, 2) exactly, with a large step (many rejections): still pi.
    x, acc = jax.jit(_mala_chains)()
    assert 0.2 < float(jnp.mean(acc)) < 0.95
    gt.assert_samples_match_cdf(np.asarray(x), ss.norm(0, math.sqrt(2.0)).cdf)


def _annealed():
    sigmas = jnp.array([3.0, 1.0, 0.5])
    score = lambda x, s: -x / (1.0 + s**2)  # N(0, 1) data smoothed at level s
    keys = jax.random.split(jax.random.key(3), NUM_CHAINS)
    fn = lambda k: gs.annealed_langevin_sample(
        k, score, jnp.zeros(1), sigmas=sigmas, num_steps_per_level=60, step_size=0.2
    )
    return jax.vmap(fn)(keys)[:, 0]


def test_annealed_langevin_ends_at_the_last_level_ula_law():
    # At the last level the update is ULA with h = step_size / 2 on N(0, 1 + s_L^2); after 60
    # steps from any start the law is Gaussian with variance within 1e-12 of
    # v = s^2/(1 - h/(2 s^2)) (the memory (1 - h/s^2)^120 is negligible).
    x = np.asarray(jax.jit(_annealed)())
    s2, h = 1.25, 0.1
    v = s2 / (1 - h / (2 * s2))
    gt.assert_samples_match_cdf(x, ss.norm(0, math.sqrt(v)).cdf)


def test_driver_dtypes_transforms_and_bad_input():
    logp = lambda x: -0.5 * jnp.sum(x**2)
    for make in (gs.ula, gs.mala):
        k = make(logp, step_size=0.3)
        st32 = k.init(jnp.ones(2, jnp.float32))
        run = jax.jit(lambda key, st, k=k: gs.sample_chain(key, k, st, num_steps=5))
        final, (xs, infos) = run(jax.random.key(0), st32)
        assert xs.shape == (5, 2) and xs.dtype == jnp.float32
        assert final.log_density.dtype == jnp.float32
        assert infos.acceptance_probability.dtype == jnp.float32
    k = gs.mala(logp, step_size=0.3)
    keys = jax.random.split(jax.random.key(0), 3)
    gt.assert_transform_consistent(
        lambda kk, x: gs.sample_chain(kk, k, k.init(x), num_steps=3)[1][0], keys, jnp.ones((3, 2))
    )
    with pytest.raises(ValueError, match="step_size must be positive"):
        gs.mala(logp, step_size=0.0)
    with pytest.raises(ValueError, match="num_steps must be a positive int"):
        gs.sample_chain(keys[0], k, k.init(jnp.ones(2)), num_steps=0)
    with pytest.raises(ValueError, match=r"x \(2,\) and y \(3,\) differ"):
        gs.langevin_proposal_log_density(logp, jnp.ones(2), jnp.ones(3), step_size=0.1)
    # a NaN log-density is a rejection, not a NaN state
    bad = gs.mala(lambda x: jnp.where(x[0] > 0.5, jnp.nan, -0.5 * jnp.sum(x**2)), step_size=1.0)
    final, (xs, _) = jax.jit(lambda st: gs.sample_chain(keys[0], bad, st, num_steps=5))(
        bad.init(jnp.zeros(2))
    )
    assert np.all(np.isfinite(xs))


def test_invalid_array_step_size_gives_nan_and_raises_in_checks_mode():
    # Regression: a negative array step_size in ula/mala was not caught (finite samples).
    logp = lambda x: -0.5 * jnp.sum(x**2)
    x0, key = jnp.ones(2), jax.random.key(0)
    for make in (gs.ula, gs.mala):
        with pytest.raises(ValueError, match="step_size must be positive and finite"):
            make(logp, step_size=-0.1)  # a Python number: at construction
        for h in (jnp.asarray(-0.1), jnp.asarray(0.0), jnp.asarray(jnp.nan)):
            kernel = make(logp, step_size=h)
            state, info = kernel.step(key, kernel.init(x0))
            assert np.all(np.isnan(state.position)) and np.isnan(info.acceptance_probability)
            init = kernel.init(x0)
            traced = jax.jit(lambda hh, mk=make, s0=init: mk(logp, step_size=hh).step(key, s0))
            assert np.all(np.isnan(traced(h)[0].position))
        with (
            gmath.config.checks(True),
            pytest.raises(Exception, match="step_size must be positive"),
        ):
            kernel = make(logp, step_size=jnp.asarray(-0.1))
            jax.block_until_ready(kernel.step(key, kernel.init(x0)))
    v = gs.langevin_proposal_log_density(logp, x0, x0, step_size=jnp.asarray(-0.1))
    assert np.isnan(v)
    assert np.isnan(gs.mala_log_acceptance(logp, x0, x0, step_size=jnp.asarray(-0.1)))
    with pytest.raises(ValueError, match="step_size must be positive"):
        gs.langevin_proposal_log_density(logp, x0, x0, step_size=-0.1)
    score = lambda x, s: -x
    with pytest.raises(ValueError, match="annealed_langevin_sample: step_size"):
        gs.annealed_langevin_sample(key, score, x0, sigmas=jnp.ones(2), step_size=-1.0)
    with pytest.raises(ValueError, match="sigmas must be positive"):
        gs.annealed_langevin_sample(key, score, x0, sigmas=jnp.array([1.0, 2.0]))
    out = gs.annealed_langevin_sample(
        key, score, x0, sigmas=jnp.ones(2), step_size=jnp.asarray(-1.0), num_steps_per_level=2
    )
    assert np.all(np.isnan(out))


def test_random_kernels_check_their_key():
    logp = lambda x: -0.5 * jnp.sum(x**2)
    for make, owner in ((gs.ula, "ula.step"), (gs.mala, "mala.step")):
        kernel = make(logp, step_size=0.1)
        with pytest.raises(TypeError, match=f"{owner}: key must be a jax.random key"):
            kernel.step(0, kernel.init(jnp.ones(2)))
    kernel = gs.ula(logp, step_size=0.1)
    with pytest.raises(TypeError, match="sample_chain: key must be"):
        gs.sample_chain(1, kernel, kernel.init(jnp.ones(2)), num_steps=2)
    with pytest.raises(TypeError, match="annealed_langevin_sample: key must be"):
        gs.annealed_langevin_sample(None, lambda x, s: -x, jnp.ones(2), sigmas=jnp.ones(1))
