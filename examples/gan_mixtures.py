"""A GAN on 2-D mixtures of Gaussians (ring of 8, grid of 25), trained with five game solvers.

Tiny pure-JAX MLPs; the GAN is the zero-sum game ``min_G max_D V(D, G)`` with
``V = -d_loss`` of :func:`gmath.games.minimax_loss`, solved with simultaneous GDA,
extragradient, optimistic GDA, consensus optimisation and CGD, each composed with the same
hand-written Adam (an optax-shaped ``init``/``update`` pair: gmath duck-types optimisers).

Metrics, on samples of the trained generator against fresh target samples:
  * modes captured: a sample is high quality if within 3 standard deviations of its nearest
    mode centre; a mode is captured if it receives at least 1/4 of the high-quality samples
    it would get under the target (VEEGAN-style, Srivastava et al. 2017),
  * high-quality fraction,
  * MMD^2 (biased, Gaussian kernel of bandwidth 0.5): ``gmath.divergences.mmd_squared`` when
    available, else computed here.

Usage::

    python examples/gan_mixtures.py --figure gan_mixtures.png          # full run
    python examples/gan_mixtures.py --fast --figure /tmp/gan_fast.png  # seconds (CI)
"""

from __future__ import annotations

import argparse
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gmath import games as gg

SOLVERS = ("gda", "extragradient", "optimistic_gda", "consensus", "cgd")
TARGETS = ("ring", "grid")


# --- targets ---------------------------------------------------------------------------------


def centres(target):
    if target == "ring":
        angles = 2 * math.pi * jnp.arange(8.0) / 8
        return 2.0 * jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=-1), 0.02
    if target == "grid":
        g = jnp.arange(-2.0, 3.0)
        xx, yy = jnp.meshgrid(g, g)
        return jnp.stack([xx.ravel(), yy.ravel()], axis=-1), 0.05
    raise ValueError(f"unknown target {target!r}")


def sample_target(key, target, n):
    mu, std = centres(target)
    k1, k2 = jax.random.split(key)
    idx = jax.random.randint(k1, (n,), 0, mu.shape[0])
    return mu[idx] + std * jax.random.normal(k2, (n, 2))


# --- tiny MLPs -------------------------------------------------------------------------------


def mlp_init(key, sizes):
    params = []
    keys = jax.random.split(key, len(sizes) - 1)
    for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True):
        params.append({"w": jax.random.normal(k, (m, n)) * math.sqrt(1.0 / m), "b": jnp.zeros(n)})
    return params


def mlp(params, x):
    for layer in params[:-1]:
        x = jax.nn.leaky_relu(x @ layer["w"] + layer["b"], 0.2)
    return x @ params[-1]["w"] + params[-1]["b"]


# --- an optax-shaped Adam, written out ------------------------------------------------------


class AdamState(NamedTuple):
    count: jax.Array
    mu: object
    nu: object


class Adam(NamedTuple):
    init: object
    update: object


def adam(learning_rate, b1=0.5, b2=0.999, eps=1e-8):
    def init(params):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return AdamState(jnp.zeros(()), zeros, zeros)

    def update(grads, state, params=None):
        count = state.count + 1.0
        mu = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        nu = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grads)
        c1, c2 = 1 - b1**count, 1 - b2**count
        updates = jax.tree_util.tree_map(
            lambda m, v: -learning_rate * (m / c1) / (jnp.sqrt(v / c2) + eps), mu, nu
        )
        return updates, AdamState(count, mu, nu)

    return Adam(init, update)


def make_solver(name, lr):
    opt = adam(lr)
    if name == "gda":
        return gg.gda(optimizer=opt)
    if name == "extragradient":
        return gg.extragradient(optimizer=opt)
    if name == "optimistic_gda":
        return gg.optimistic_gda(optimizer=opt)
    if name == "consensus":
        return gg.consensus(gamma=0.1, optimizer=opt)
    if name == "cgd":
        return gg.cgd(learning_rate=lr, tolerance=1e-4, max_iterations=8, optimizer=opt)
    raise ValueError(name)


# --- training --------------------------------------------------------------------------------


class Config(NamedTuple):
    steps: int
    batch: int
    hidden: int
    latent: int
    lr: float
    eval_samples: int


FULL = Config(steps=4000, batch=256, hidden=128, latent=2, lr=2e-3, eval_samples=2500)
FAST = Config(steps=10, batch=32, hidden=8, latent=2, lr=1e-3, eval_samples=200)


def train(key, solver_name, target, cfg):
    kg, kd, kt = jax.random.split(key, 3)
    g0 = mlp_init(kg, [cfg.latent, cfg.hidden, cfg.hidden, 2])
    d0 = mlp_init(kd, [2, cfg.hidden, cfg.hidden, 1])
    solver = make_solver(solver_name, cfg.lr)

    def body(state, k):
        k1, k2 = jax.random.split(k)
        real = sample_target(k1, target, cfg.batch)
        z = jax.random.normal(k2, (cfg.batch, cfg.latent))

        def value(g, d):  # V(D, G): the generator minimises, the discriminator maximises
            d_loss, _ = gg.minimax_loss(mlp(d, real)[:, 0], mlp(d, mlp(g, z))[:, 0])
            return -d_loss

        state, info = solver.step(state, gg.ZeroSumGame(value))
        return state, info.grad_norm

    state, grad_norms = jax.lax.scan(body, solver.init((g0, d0)), jax.random.split(kt, cfg.steps))
    return state.x, grad_norms


_train_jit = jax.jit(train, static_argnums=(1, 2, 3))


def _mmd_squared(x, y, bandwidth=0.5):
    try:  # the shared implementation, once gmath.divergences provides it
        from gmath.divergences import kernels, mmd_squared

        return mmd_squared(x, y, kernel=kernels.rbf(bandwidth=bandwidth), estimator="biased")
    except ImportError:

        def k(a, b):
            d2 = jnp.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1)
            return jnp.exp(-d2 / (2 * bandwidth**2))

        return jnp.mean(k(x, x)) + jnp.mean(k(y, y)) - 2 * jnp.mean(k(x, y))


def evaluate(key, generator, target, cfg):
    arrays, samples = _evaluate_arrays(key, generator, target, cfg)
    captured, num_modes, high_quality, mmd2 = (float(a) for a in arrays)
    return {
        "modes_captured": int(captured),
        "num_modes": int(num_modes),
        "high_quality": high_quality,
        "mmd2": mmd2,
    }, samples


@functools.partial(jax.jit, static_argnums=(2, 3))
def _evaluate_arrays(key, generator, target, cfg):
    k1, k2 = jax.random.split(key)
    z = jax.random.normal(k1, (cfg.eval_samples, cfg.latent))
    samples = mlp(generator, z)
    mu, std = centres(target)
    dist = jnp.linalg.norm(samples[:, None, :] - mu[None], axis=-1)
    nearest = jnp.argmin(dist, axis=1)
    good = jnp.min(dist, axis=1) <= 3 * std
    counts = jnp.zeros(mu.shape[0], samples.dtype).at[nearest].add(good.astype(samples.dtype))
    expected = cfg.eval_samples / mu.shape[0]
    captured = jnp.sum(counts >= 0.25 * expected)
    reference = sample_target(k2, target, cfg.eval_samples)
    mmd2 = _mmd_squared(samples, reference)
    return (captured, mu.shape[0], jnp.mean(good), mmd2), samples


def run(*, fast=False, figure=None, seed=0, solvers=SOLVERS, targets=TARGETS, config=None):
    """Train every solver on every target; return ``{(target, solver): metrics}``.

    ``fast=True`` uses tiny networks and a few steps (for tests); ``config`` overrides both.
    Writes a scatter-plot grid to ``figure`` when given.
    """
    cfg = config if config is not None else (FAST if fast else FULL)
    results, samples = {}, {}
    key = jax.random.key(seed)
    for target in targets:
        for name in solvers:
            generator, grad_norms = _train_jit(key, name, target, cfg)
            metrics, xs = evaluate(jax.random.fold_in(key, 1), generator, target, cfg)
            metrics["final_grad_norm"] = float(grad_norms[-1])
            results[(target, name)] = metrics
            samples[(target, name)] = xs
    if figure is not None:
        _plot(figure, samples, results, targets, solvers)
    return results


def _plot(path, samples, results, targets, solvers):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(targets), len(solvers), figsize=(3 * len(solvers), 3 * len(targets)), squeeze=False
    )
    for i, target in enumerate(targets):
        mu, _ = centres(target)
        for j, name in enumerate(solvers):
            ax = axes[i][j]
            xs = samples[(target, name)]
            ax.scatter(xs[:, 0], xs[:, 1], s=1, alpha=0.5)
            ax.scatter(mu[:, 0], mu[:, 1], s=12, c="red", marker="x")
            m = results[(target, name)]
            ax.set_title(f"{name}\n{m['modes_captured']}/{m['num_modes']} modes", fontsize=9)
            ax.set_xlim(-3, 3)
            ax.set_ylim(-3, 3)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny networks, a few steps")
    parser.add_argument("--figure", default=None, help="where to write the figure (PNG)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated targets")
    parser.add_argument("--steps", type=int, default=None, help="override the number of steps")
    args = parser.parse_args(argv)
    cfg = (FAST if args.fast else FULL)._replace(**({"steps": args.steps} if args.steps else {}))
    results = run(
        config=cfg, figure=args.figure, seed=args.seed, targets=tuple(args.targets.split(","))
    )
    print(f"{'target':6} {'solver':15} {'modes':>7} {'high-q':>7} {'MMD^2':>9}")
    for (target, name), m in results.items():
        print(
            f"{target:6} {name:15} {m['modes_captured']:>3}/{m['num_modes']:<3} "
            f"{m['high_quality']:7.3f} {m['mmd2']:9.5f}"
        )


if __name__ == "__main__":
    main()
