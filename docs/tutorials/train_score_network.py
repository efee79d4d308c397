"""Train a score network on 2-D data and sample it two ways

A small noise-prediction network (a plain JAX MLP, no neural-network library) learns a mixture
of eight Gaussians on a ring with ``denoising_score_matching_loss`` and optax's Adam, under the
variance-preserving SDE (beta from 0.1 to 20). The network is one batch-level function
``model(x, t)`` with ``x`` of shape ``[batch, 2]`` and ``t`` of shape ``[batch]``: the loss calls
it that way, and so do the samplers, which convert its noise prediction (``prediction="eps"``)
to the score they need. We then sample the trained network from the same noise with the reverse
SDE (Euler–Maruyama) and with DDIM (deterministic, the probability-flow ODE's first-order
exponential integrator), and measure both against fresh data with the MMD. The data's score is
known exactly (each component stays Gaussian under diffusion), so the exact noise predictor
gives the loss the network can at best reach; the trivial predictor 0 has loss 2 (the dimension).

Run ``python docs/tutorials/train_score_network.py`` (add ``--fast`` for the quick version the
tests run, with a few hundred training steps).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib
import optax

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import gmath.testing as gt
from gmath import densities as gd
from gmath import divergences as gv
from gmath import scores as gs

FIGURES = Path(__file__).resolve().parents[1] / "generated" / "figures"


def ring_mixture(num_modes: int = 8, radius: float = 2.0, std: float = 0.2):
    """Weights, means and covariances of a mixture of Gaussians on a ring."""
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    covs = np.broadcast_to(std**2 * np.eye(2), (num_modes, 2, 2)).copy()
    weights = np.full(num_modes, 1.0 / num_modes)
    return jnp.asarray(weights), jnp.asarray(means), jnp.asarray(covs)


# ------------------------------------------------------------------------- the network
def init_mlp(key, sizes):
    """Weights and biases of an MLP, ``sizes = [in, hidden..., out]`` (LeCun-normal init)."""
    params = []
    keys = jax.random.split(key, len(sizes) - 1)
    for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True):
        params.append((jax.random.normal(k, (m, n)) / jnp.sqrt(m), jnp.zeros(n)))
    return params


def time_features(t, num: int = 8):
    """Sinusoidal features of the time ``t [batch]`` (Vaswani et al. 2017), ``[batch, 2 num]``."""
    freqs = jnp.exp(jnp.linspace(0.0, jnp.log(100.0), num))
    angles = t[:, None] * freqs
    return jnp.concatenate([jnp.sin(angles), jnp.cos(angles)], axis=-1)


def network(params, x, t):
    """The noise prediction ``eps_hat(x, t)``: ``x [batch, 2]``, ``t [batch]`` -> ``[batch, 2]``."""
    h = jnp.concatenate([x, time_features(t)], axis=-1)
    for w, b in params[:-1]:
        h = jax.nn.silu(h @ w + b)
    w, b = params[-1]
    return h @ w + b


# ------------------------------------------------------------------------- the tutorial
def main(*, fast: bool = False, out_dir: Path = FIGURES, num_train_steps: int | None = None):
    out_dir.mkdir(parents=True, exist_ok=True)
    schedule = gs.vp_linear(beta_min=0.1, beta_max=20.0)
    weights, means, covs = ring_mixture()
    data_law = gd.MixtureSameFamily(
        jnp.log(weights), gd.MultivariateNormal(means, covariance_matrix=covs)
    )
    steps = num_train_steps or (300 if fast else 12000)
    batch = 512
    key = jax.random.key(0)
    k_init, k_train, k_eval, k_noise, k_sde, k_data = jax.random.split(key, 6)

    # Training: minimise the denoising loss (eps prediction, DDPM's L_simple weighting) over
    # fresh data and fresh noise at every step, all steps in one compiled lax.scan.
    params = init_mlp(k_init, [2 + 16, 128, 128, 128, 2])
    optimizer = optax.adam(optax.cosine_decay_schedule(3e-3, steps, alpha=0.05))

    def loss_fn(params, key):
        k_x, k_loss = jax.random.split(key)
        x0 = data_law.sample(k_x, (batch,))
        model = lambda x, t: network(params, x, t)
        return gs.denoising_score_matching_loss(
            k_loss, model, x0, schedule=schedule, prediction="eps"
        )

    @jax.jit
    def train(params, key):
        def step(carry, k):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(loss_fn)(params, k)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        (params, _), losses = jax.lax.scan(
            step, (params, optimizer.init(params)), jax.random.split(key, steps)
        )
        return params, losses

    params, losses = train(params, k_train)
    model = lambda x, t: network(params, x, t)

    # The loss of the trained network against the exact noise predictor, on the same evaluation
    # draws (data, times and noise): eps_hat = -sigma_t * score of the diffused mixture.
    def exact_eps(x, t):
        def one(xi, ti):
            score = gt.mixture_diffusion_score(xi, weights, means, covs, ti, schedule=schedule)
            return -schedule.sigma(ti) * score

        return jax.vmap(one)(x, t)

    k_eval_data, k_eval_loss = jax.random.split(k_eval)  # independent data, times and noise
    x_eval = data_law.sample(k_eval_data, (4096,))
    evaluate = lambda m: float(
        gs.denoising_score_matching_loss(
            k_eval_loss, m, x_eval, schedule=schedule, prediction="eps"
        )
    )

    # Sampling: the same network, the same noise, two samplers.
    n = 500 if fast else 4000
    num_steps = 50 if fast else 500
    noise = jax.random.normal(k_noise, (n, 2))
    kw = dict(schedule=schedule, num_steps=num_steps, prediction="eps")
    sde = gs.reverse_sde_sample(k_sde, model, noise, **kw)
    ddim = gs.ddim_sample(model, noise, **kw)

    data = data_law.sample(k_data, (n,))
    kernel = gv.kernels.rbf(bandwidth=0.5)
    results = {
        "losses": np.asarray(losses),
        "loss_trained": evaluate(model),
        "loss_exact": evaluate(exact_eps),
        "loss_zero": evaluate(lambda x, t: jnp.zeros_like(x)),
        "mmd_sde": float(gv.mmd_squared(sde, data, kernel=kernel)),
        "mmd_ddim": float(gv.mmd_squared(ddim, data, kernel=kernel)),
        "mmd_noise": float(gv.mmd_squared(noise, data, kernel=kernel)),
        "samples_finite": bool(jnp.all(jnp.isfinite(sde)) and jnp.all(jnp.isfinite(ddim))),
        "num_train_steps": steps,
    }

    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    window = max(1, steps // 50)
    smooth = np.convolve(results["losses"], np.ones(window) / window, mode="valid")
    axes[0].plot(smooth, label="network (running mean)")
    axes[0].axhline(results["loss_exact"], color="k", ls="--", label="exact eps (minimum)")
    axes[0].set(title="denoising loss", xlabel="training step", ylim=(0, 1.2))
    axes[0].legend()
    for ax, pts, title in [
        (axes[1], data, "data (mixture of 8)"),
        (axes[2], sde, f"reverse SDE, MMD² {results['mmd_sde']:.1e}"),
        (axes[3], ddim, f"DDIM, MMD² {results['mmd_ddim']:.1e}"),
    ]:
        pts = np.asarray(pts)
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5)
        ax.set(title=title, aspect="equal", xlim=(-3.2, 3.2), ylim=(-3.2, 3.2))
    fig.tight_layout()
    fig.savefig(out_dir / "train_score_network.png", dpi=110)
    plt.close(fig)
    return results


if __name__ == "__main__":
    out = main(fast="--fast" in sys.argv)
    print({k: v for k, v in out.items() if k != "losses"})
