"""Learn a noise schedule: the monotone VDM schedule that minimises the loss variance

A noise schedule is a pytree whose hyperparameters are leaves, so ``jax.grad`` reaches them.
Here we learn the shape of the log-SNR of a variational diffusion model (Kingma et al. 2021):
``gmath.scores.learned_vdm`` makes gamma(t) = -log SNR(t) a monotone network that goes from
gamma_min at t = 0 to gamma_max at t = 1 exactly, increasing for any weights. The continuous-time
diffusion loss

    L = -1/2 E_{t ~ U(0, 1), x, eps} [ SNR'(t) ||x - xhat(z_t, t)||^2 ]

does not depend on the schedule between its ends (substitute v = SNR(t): L = 1/2 times the
integral of the denoising error over v), but the variance of its Monte Carlo estimate does.
Kingma et al. therefore train the schedule to minimise that variance, i.e. the mean of the
squared per-sample loss. The data are Gaussian, N(m, diag(s^2)), and the denoiser is the exact
(Tweedie) one, so the loss has a closed form, 1/2 sum_i log((1 + SNR_max s_i^2) /
(1 + SNR_min s_i^2)), to check both estimates against; training should leave the mean unchanged
and shrink the variance. The schedule that removes the variance due to t puts equal expected
loss on equal time steps: its gamma*(t) solves F(e^-gamma) = L (1 - t), with
F(v) = 1/2 sum_i log((1 + v s_i^2) / (1 + SNR_min s_i^2)); we draw this equal-loss schedule next
to the learned one (the variance due to x and eps remains). Everything runs in JAX's default float32 under one
``jax.jit``-compiled ``lax.scan`` of Adam steps (written out by hand, a few lines).

Run ``python docs/tutorials/learned_schedule.py`` (add ``--fast`` for the quick version the tests
run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from gmath import scores as gs

FIGURES = Path(__file__).resolve().parents[1] / "generated" / "figures"
MEAN = np.array([1.0, -0.5], np.float32)
STD = np.array([0.5, 2.0], np.float32)
GAMMA_MIN, GAMMA_MAX = -10.0, 6.0  # SNR from e^10 at t = 0 down to e^-6 at t = 1


def exact_loss() -> float:
    """The diffusion loss with the exact denoiser: 1/2 sum_i log((1 + v_max s_i^2) / (1 + v_min s_i^2))."""
    s2 = STD.astype(np.float64) ** 2
    return 0.5 * float(
        np.sum(np.log1p(np.exp(-GAMMA_MIN) * s2) - np.log1p(np.exp(-GAMMA_MAX) * s2))
    )


def per_sample_loss(schedule, key, n):
    """n independent draws of -1/2 SNR'(t) ||x - xhat(z_t)||^2 (mean: the diffusion loss)."""
    k_t, k_x, k_e = jax.random.split(key, 3)
    t = jax.random.uniform(k_t, (n,))
    x = MEAN + STD * jax.random.normal(k_x, (n, 2))
    eps = jax.random.normal(k_e, (n, 2))
    alpha, sigma = schedule.alpha(t)[:, None], schedule.sigma(t)[:, None]
    z = alpha * x + sigma * eps
    # the exact denoiser E[x | z_t] of N(m, diag(s^2)) data, coordinate by coordinate
    xhat = MEAN + STD**2 * alpha * (z - alpha * MEAN) / (alpha**2 * STD**2 + sigma**2)
    # -SNR'(t) = -lambda'(t) SNR(t) = g(t)^2 SNR(t) / sigma_t^2
    snr_rate = schedule.diffusion_squared(t) * schedule.snr(t) / schedule.sigma(t) ** 2
    return 0.5 * snr_rate * jnp.sum((x - xhat) ** 2, axis=1)


def init_weights(key, hidden: int = 8):
    k1, k2, k3, k4 = jax.random.split(key, 4)
    return {
        "w1": jax.random.normal(k1, ()),
        "w2": jax.random.normal(k2, (hidden,)),
        "b2": jax.random.normal(k3, (hidden,)),
        "w3": jax.random.normal(k4, (hidden,)),
    }


def schedule_of(weights):
    return gs.learned_vdm(weights, gamma_min=GAMMA_MIN, gamma_max=GAMMA_MAX)


def train(weights, key, *, steps: int, batch: int, learning_rate: float = 0.05):
    """Adam on the mean squared per-sample loss (its mean is fixed, so this is the variance)."""

    def objective(w, key):
        return jnp.mean(per_sample_loss(schedule_of(w), key, batch) ** 2)

    @jax.jit
    def run(weights, key):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, weights)

        def step(carry, key):
            w, m, v, i = carry
            value, g = jax.value_and_grad(objective)(w, key)
            m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
            v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
            i = i + 1
            scale = learning_rate * jnp.sqrt(1 - 0.999**i) / (1 - 0.9**i)
            w = jax.tree_util.tree_map(
                lambda w, m, v: w - scale * m / (jnp.sqrt(v) + 1e-8), w, m, v
            )
            return (w, m, v, i), value

        init = (weights, zeros, zeros, jnp.zeros((), jnp.float32))
        (weights, *_), values = jax.lax.scan(step, init, jax.random.split(key, steps))
        return weights, values

    return run(weights, key)


def equal_loss_gamma(ts):
    """gamma*(t): F(e^-gamma) = L (1 - t) (equal loss per time step), by bisection in float64."""
    s2 = STD.astype(np.float64) ** 2
    f = lambda g: 0.5 * np.sum(np.log1p(np.exp(-g)[..., None] * s2), axis=-1)
    target = f(np.full_like(ts, GAMMA_MAX)) + exact_loss() * (1 - ts)
    lo, hi = np.full_like(ts, GAMMA_MIN), np.full_like(ts, GAMMA_MAX)
    for _ in range(60):  # f decreases in gamma
        mid = 0.5 * (lo + hi)
        above = f(mid) > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def main(*, fast: bool = False, out_dir: Path = FIGURES) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    k_init, k_train, k_eval = jax.random.split(jax.random.key(0), 3)
    weights0 = init_weights(k_init)
    steps, batch, n_eval = (300, 256, 50_000) if fast else (1500, 1024, 400_000)
    weights, objective = train(weights0, k_train, steps=steps, batch=batch)

    evaluate = jax.jit(lambda w: per_sample_loss(schedule_of(w), k_eval, n_eval))
    results = {"exact": exact_loss(), "objective": np.asarray(objective)}
    for label, w in (("initial", weights0), ("trained", weights)):
        draws = np.asarray(evaluate(w), np.float64)
        results[label] = {
            "mean": float(draws.mean()),
            "stderr": float(draws.std() / np.sqrt(n_eval)),
            "variance": float(draws.var()),
        }
    ts = np.linspace(0.0, 1.0, 201)
    gamma = -np.asarray(schedule_of(weights).log_snr(jnp.asarray(ts, jnp.float32)))
    results["gamma"] = gamma
    results["gamma_initial"] = -np.asarray(
        schedule_of(weights0).log_snr(jnp.asarray(ts, jnp.float32))
    )
    results["gamma_ideal"] = equal_loss_gamma(ts)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(ts, results["gamma_initial"], label="initial (random weights)")
    axes[0].plot(ts, gamma, label="learned")
    axes[0].plot(ts, results["gamma_ideal"], "k--", label="equal-loss schedule")
    axes[0].set(xlabel="t", ylabel="gamma(t) = -log SNR(t)", title="learned monotone schedule")
    axes[0].legend()
    axes[1].plot(results["objective"])
    axes[1].set(xlabel="Adam step", ylabel="mean squared per-sample loss", yscale="log")
    axes[1].set_title(
        f"variance {results['initial']['variance']:.3g} -> {results['trained']['variance']:.3g}"
    )
    fig.tight_layout()
    fig.savefig(out_dir / "learned_schedule.png", dpi=110)
    plt.close(fig)
    return results


if __name__ == "__main__":
    out = main(fast="--fast" in sys.argv)
    print({k: out[k] for k in ("exact", "initial", "trained")})
