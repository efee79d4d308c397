"""The tutorials run in their fast mode and their numbers agree with the mathematics.

They run with x64 disabled, as users have JAX by default (the test suite enables it globally):
a tutorial that needs float64 must enable it locally.
"""

import importlib.util
from pathlib import Path

import jax
import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"tutorial_{name}", TUTORIALS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _x64_off():
    """Run each tutorial as a user would: JAX's default float32, no global x64."""
    with jax.enable_x64(False):
        yield


def test_divergences_tutorial(tmp_path):
    out = _load("divergences").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "divergences.png").exists()
    # KL(N(0,1.5^2) || N(1,1)) = log(1 / 1.5) + (1.5^2 + 1^2) / 2 - 1/2 (closed form in float64)
    assert out["kl"] == pytest.approx(np.log(1 / 1.5) + (2.25 + 1.0) / 2 - 0.5, rel=1e-12)
    assert out["renyi_at_1"] == pytest.approx(out["kl"], rel=1e-9)
    assert np.all(np.diff(out["renyi"]) >= -1e-12)  # non-decreasing in alpha
    # each estimate within 5 standard errors of the closed form (false failure ~ 6e-7 each)
    for values in out["estimates"].values():
        for value, stderr in values:
            assert abs(value - out["kl"]) <= 5 * stderr
    assert all(s > 0 for s in out["sinkhorn"])


def test_diffusion_tutorial(tmp_path):
    out = _load("diffusion").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "diffusion.png").exists()
    # both samplers land far closer to the data than the noise they start from
    assert out["mmd_ode"] < 0.05 * out["mmd_noise"]
    assert out["mmd_sde"] < 0.05 * out["mmd_noise"]


def test_matrix_games_tutorial(tmp_path):
    out = _load("matrix_games").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "matrix_games.png").exists()
    np.testing.assert_allclose(out["x"], [1 / 16, 10 / 16, 5 / 16], atol=1e-6)
    assert abs(out["value"]) <= 1e-6 and out["gap"] <= 1e-6
    assert out["batch_max_gap"] <= 1e-6


def test_gan_tutorial(tmp_path):
    out = _load("gan_mixtures").main(fast=True, out_dir=tmp_path, solvers=("gda",))
    assert (tmp_path / "gan_mixtures.png").exists()
    for metrics in out.values():
        assert 0 <= metrics["modes_captured"] <= metrics["num_modes"]
        assert 0.0 <= metrics["high_quality"] <= 1.0
        assert metrics["mmd2"] >= 0.0  # biased MMD^2 is a squared RKHS norm


def test_fit_optax_tutorial(tmp_path):
    from scipy import special, stats

    # optax's Adam bias correction raises a Python float to an int32 step count, which the suite's
    # strict dtype promotion rejects; users run with JAX's standard promotion, and so does this.
    with jax.numpy_dtype_promotion("standard"):
        out = _load("fit_optax").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "fit_optax.png").exists()
    x = out["data"].astype(np.float64)
    a, b = out["concentration"], out["rate"]
    # the maximum-likelihood estimate in float64 (scipy), which Adam on float32 must reach up to
    # float32 gradient rounding (~1e-7 times the conditioning of the likelihood)
    a_mle, _, scale_mle = stats.gamma.fit(x, floc=0)
    assert a == pytest.approx(a_mle, rel=1e-4)
    assert b == pytest.approx(1 / scale_mle, rel=1e-4)
    # the Gamma likelihood equations: b = a / mean(x), log a - digamma(a) = log mean(x) - mean(log x)
    assert b == pytest.approx(a / x.mean(), rel=1e-4)
    assert np.log(a) - special.digamma(a) == pytest.approx(
        np.log(x.mean()) - np.log(x).mean(), rel=1e-4
    )
    assert np.all(np.isfinite(out["losses"])) and out["losses"][-1] < out["losses"][0]


def test_train_score_network_tutorial(tmp_path):
    # optax's Adam under JAX's standard promotion, as users run it (see test_fit_optax_tutorial)
    with jax.numpy_dtype_promotion("standard"):
        out = _load("train_score_network").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "train_score_network.png").exists()
    assert out["samples_finite"] and np.all(np.isfinite(out["losses"]))
    # the predictor 0 has loss E||eps||^2 = 2 (chi-square(2) mean over 4096 draws: sd 2/64)
    assert abs(out["loss_zero"] - 2.0) < 5 * 2 / 64
    # the exact noise predictor (Tweedie) minimises the loss; a few hundred steps get close
    assert out["loss_exact"] < out["loss_trained"] < 0.5 * out["loss_zero"]
    assert np.mean(out["losses"][-50:]) < np.mean(out["losses"][:10])  # training lowers it
    # both samplers of the trained network land far closer to the data than their noise
    assert out["mmd_sde"] < 0.6 * out["mmd_noise"]
    assert out["mmd_ddim"] < 0.6 * out["mmd_noise"]


def test_learned_schedule_tutorial(tmp_path):
    out = _load("learned_schedule").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "learned_schedule.png").exists()
    # the diffusion loss does not depend on the schedule between its ends: both estimates agree
    # with the closed form 1/2 sum_i log((1 + SNR_max s_i^2) / (1 + SNR_min s_i^2)) within 5
    # standard errors (false failure ~ 6e-7 each)
    for label in ("initial", "trained"):
        assert abs(out[label]["mean"] - out["exact"]) <= 5 * out[label]["stderr"]
    # training the schedule on the squared loss lowers the variance of the estimate
    assert out["trained"]["variance"] < 0.8 * out["initial"]["variance"]
    # the learned gamma is increasing and hits its ends exactly (in float32)
    assert np.all(np.diff(out["gamma"]) > 0)
    assert out["gamma"][0] == -10.0 and out["gamma"][-1] == 6.0
    assert np.all(np.isfinite(out["objective"]))


def test_ot_flow_matching_tutorial(tmp_path):
    # optax's Adam under JAX's standard promotion, as users run it (see test_fit_optax_tutorial)
    with jax.numpy_dtype_promotion("standard"):
        out = _load("ot_flow_matching").main(fast=True, out_dir=tmp_path)
    assert (tmp_path / "ot_flow_matching.png").exists()
    # every training batch: the optimal assignment's pairs are no longer on average than the
    # batch's independent pairs (the identity is one of the pairings it minimises over)
    assert np.all(out["pair_cost_ot"] <= out["pair_cost_independent"] * (1 + 1e-5))
    assert np.mean(out["pair_cost_ot"]) < 0.6 * np.mean(out["pair_cost_independent"])
    # with 20 Euler steps both flows land on the data
    assert out["mmd"]["ot_20"] < 0.25 * out["mmd_noise"]
    assert out["mmd"]["independent_20"] < 0.25 * out["mmd_noise"]
    # the OT flow is straighter: 2 Euler steps already land on the data (measured 0.021 against
    # 0.164 for the independent coupling; the assertion keeps a factor 4 of margin)
    assert out["mmd"]["ot_2"] < 0.5 * out["mmd"]["independent_2"]
