"""One model convention for gmath.scores: every sampler, the probability-flow likelihood and the
denoising loss call ``model_fn(x [batch, ...], t [batch])``, and ``prediction=`` converts any
parameterisation. On Gaussian data the score is exact, so a score, eps, x0, v, velocity or EDM
model built from it is the same model: every sampler (same keys) and the likelihood give the same
answer to rounding whatever the model predicts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath.scores as gs
import gmath.testing as gt

from _compile import assert_second_call_compiles_nothing

MEAN = np.array([1.0, -0.5])
COV = np.array([[1.5, 0.4], [0.4, 0.3]])
X = np.array([[0.7, -1.2], [0.1, 0.4], [-2.0, 0.3]])  # a batch of three points
KINDS = ("eps", "x0", "v", "velocity", "edm")


def exact_score_model(schedule):
    """The exact batch-level score of the Gaussian data diffused by ``schedule``."""

    def one(x, t):
        return gt.gaussian_diffusion_score(x, MEAN, COV, t, schedule=schedule)

    return lambda x, t: jax.vmap(one)(x, t)


def as_model(kind, schedule, base=None, source="score"):
    """The exact model converted to predict ``kind`` (time ``t [batch]`` as a column)."""
    base = exact_score_model(schedule) if base is None else base

    def model(x, t):
        return gs.convert_prediction(
            base(x, t), x, t[:, None], schedule=schedule, source=source, target=kind
        )

    return model


S = gs.vp_linear()
KEY = jax.random.key(3)
SCORE = exact_score_model(S)
MODELS = {kind: as_model(kind, S) for kind in KINDS}
MODELS["score"] = SCORE

SAMPLERS = {
    "probability_flow_sample": lambda m, p: gs.probability_flow_sample(
        m, X, schedule=S, num_steps=8, prediction=p
    ),
    "reverse_sde_sample": lambda m, p: gs.reverse_sde_sample(
        KEY, m, X, schedule=S, num_steps=8, prediction=p
    ),
    "ddim_sample": lambda m, p: gs.ddim_sample(m, X, schedule=S, num_steps=8, prediction=p),
    "ddim_sample_eta": lambda m, p: gs.ddim_sample(
        m, X, schedule=S, num_steps=8, eta=0.5, key=KEY, prediction=p
    ),
    "ancestral_sample": lambda m, p: gs.ancestral_sample(
        KEY, m, X, schedule=S, num_steps=8, prediction=p
    ),
    "predictor_corrector_sample": lambda m, p: gs.predictor_corrector_sample(
        KEY, m, X, schedule=S, num_steps=8, prediction=p
    ),
    "probability_flow_log_likelihood": lambda m, p: gs.probability_flow_log_likelihood(
        m, X, schedule=S, num_steps=8, t_start=1e-3, prediction=p
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_prediction_type_gives_the_score_models_answer(name):
    # The conversions are exact up to rounding; the condition number is at most 1/sigma at the
    # clean end (x0 -> eps divides by sigma_t >= sigma(1e-3) ~ 0.014) over 8 steps.
    call = jax.jit(SAMPLERS[name], static_argnums=(0, 1))
    ref = call(SCORE, "score")
    for kind in KINDS:
        out = call(MODELS[kind], kind)
        jax.tree_util.tree_map(
            lambda a, b, k=kind: gt.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=k),
            out,
            ref,
        )


def test_edm_sampler_and_annealed_langevin_take_any_prediction():
    # Both call the model at the noise level sigma of the EDM schedule (alpha = 1).
    e = gs.edm()
    score = exact_score_model(e)
    den = as_model("x0", e, base=score)
    sigmas = gs.karras_sigmas(6, sigma_min=0.01, sigma_max=10.0)
    run = jax.jit(
        lambda m, p: gs.edm_sample(KEY, m, 10 * X, sigmas=sigmas, s_churn=5.0, prediction=p),
        static_argnums=(0, 1),
    )
    ref = run(den, "x0")
    for kind in ("score", "eps", "v", "velocity", "edm"):
        out = run(as_model(kind, e, base=score), kind)
        gt.assert_allclose(out, ref, rtol=1e-10, atol=1e-12, err_msg=kind)
    levels = jnp.array([2.0, 1.0, 0.5])
    run = jax.jit(
        lambda m, p: gs.annealed_langevin_sample(
            KEY, m, X, sigmas=levels, num_steps_per_level=4, step_size=0.05, prediction=p
        ),
        static_argnums=(0, 1),
    )
    ref = run(score, "score")
    for kind in ("eps", "x0", "v", "edm"):
        out = run(as_model(kind, e, base=score), kind)
        gt.assert_allclose(out, ref, rtol=1e-10, atol=1e-12, err_msg=kind)


def test_samplers_call_the_model_on_the_batch_with_one_time_per_example():
    calls = []

    def model(x, t):
        calls.append((x.shape, t.shape))
        return SCORE(x, t)

    grid = gs.time_grid(S, 4)
    seen = []
    gs.probability_flow_sample(
        lambda x, t: (
            jax.debug.callback(lambda v: seen.append(np.asarray(v)), t, ordered=True) or model(x, t)
        ),
        X,
        schedule=S,
        times=grid,
        method="euler",
    )
    assert set(calls) == {((3, 2), (3,))}
    # each call: every entry of t is the current grid time
    for v, g in zip(seen, np.asarray(grid[:-1]), strict=True):
        np.testing.assert_array_equal(v, np.full(3, g))
    calls.clear()
    gs.edm_sample(KEY, lambda x, s: model(x, s) * 0, X, sigmas=gs.karras_sigmas(3))
    gs.ddim_sample(model, X, schedule=S, num_steps=2)
    assert set(calls) == {((3, 2), (3,))}


def test_the_likelihood_of_a_batch_is_the_likelihood_of_each_point():
    # Each example is its own point: the batch gives each point's own likelihood (to rounding),
    # exact on Gaussian data up to RK4's O(h^4) error (< 1e-6 at 128 steps for these points).
    prior = lambda y: gt.gaussian_diffusion_log_prob(y, MEAN, COV, 1.0, schedule=S)
    run = jax.jit(
        lambda x: (
            gs.probability_flow_log_likelihood(
                SCORE, x, schedule=S, num_steps=128, t_start=1e-3, prior_log_prob=prior
            ).log_prob
        )
    )
    batch = run(X)
    assert batch.shape == (3,)
    alone = np.concatenate([run(X[i : i + 1]) for i in range(3)])
    gt.assert_allclose(batch, alone, rtol=1e-13)
    exact = gt.gaussian_diffusion_log_prob(X, MEAN, COV, 1e-3, schedule=S)
    gt.assert_allclose(batch, exact, rtol=0, atol=1e-6)


def test_a_model_trained_with_the_loss_plugs_into_the_samplers():
    # The loss and the samplers share the call: the exact eps-model has the closed-form loss
    # minimum of Gaussian data at fixed t (the same model object then samples, above).
    t = 0.3
    x0 = jax.random.multivariate_normal(jax.random.key(1), MEAN, COV, (4096,))
    value = gs.denoising_score_matching_loss(
        jax.random.key(2), MODELS["eps"], x0, schedule=S, t=t, weighting="snr"
    )
    snr = float(S.snr(t))
    lam = np.linalg.eigvalsh(COV)
    minimum = np.sum(snr * lam / (snr * lam + 1))
    p_eig = snr * lam / (snr * lam + 1)
    n, u = 4096, 16.0  # Laurent–Massart band, false failure < 1e-6 (fixed key)
    band = (2 * np.sqrt(n * np.sum(p_eig**2) * u) + 2 * p_eig.max() * u) / n
    assert abs(float(value) - minimum) <= band


def test_bad_predictions_and_states_raise():
    with pytest.raises(ValueError, match="unknown prediction type 'noise'"):
        gs.ddim_sample(SCORE, X, schedule=S, num_steps=2, prediction="noise")
    with pytest.raises(ValueError, match="unknown prediction type 'noise'"):
        gs.probability_flow_log_likelihood(SCORE, X, schedule=S, num_steps=2, prediction="noise")
    with pytest.raises(ValueError, match="leading batch axis"):
        gs.reverse_sde_sample(KEY, SCORE, jnp.float64(1.0), schedule=S, num_steps=2)
    with pytest.raises(ValueError, match=r"model returned shape \(2,\), expected \(3, 2\)"):
        gs.probability_flow_sample(lambda x, t: x[0], X, schedule=S, num_steps=2)
    with pytest.raises(ValueError, match=r"prior_log_prob returned shape \(\)"):
        gs.probability_flow_log_likelihood(
            SCORE, X, schedule=S, num_steps=2, prior_log_prob=lambda y: jnp.sum(y)
        )


@pytest.mark.parametrize("name", ["ddim_sample", "probability_flow_log_likelihood"])
def test_prediction_is_a_static_option_of_the_eager_cache(name):
    model = MODELS["v"]
    assert_second_call_compiles_nothing(name, lambda: SAMPLERS[name](model, "v"))
