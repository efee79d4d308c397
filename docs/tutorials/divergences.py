"""Divergences between Gaussians and between samples

Closed forms against estimates. Part 1 compares the closed-form KL divergence of two normals
with the Monte Carlo estimators k1 and k3 (Schulman 2020), whose error bars shrink as
1/sqrt(n), and traces the Rényi divergence in its order alpha, which is non-decreasing,
equals the KL divergence at alpha = 1, and grows without bound as alpha approaches
s_p^2 / (s_p^2 - s_q^2) = 1.8 (p = N(0, 1.5^2) has heavier tails than q = N(1, 1)). The
computation runs in JAX's default float32; only the reference closed forms use float64, enabled
locally with ``jax.enable_x64``. Part 2 draws samples from two 2-D Gaussians and compares
the sample divergences with their population values: the debiased Sinkhorn divergence tends to
the squared 2-Wasserstein distance (Bures formula) as epsilon shrinks, and the unbiased MMD with a
Gaussian kernel matches its closed form.

Run ``python docs/tutorials/divergences.py`` (add ``--fast`` for the quick version the tests run).
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

from gmath import densities as gd
from gmath import divergences as gv

FIGURES = Path(__file__).resolve().parents[1] / "generated" / "figures"


def gaussian_mmd_squared(mx, sx, my, sy, h):
    """Closed-form MMD^2 with the RBF kernel between N(mx, sx) and N(my, sy) (Gaussian integrals of the kernel)."""
    d = mx.shape[0]
    eye = np.eye(d)

    def e(m1, s1, m2, s2):
        s = s1 + s2
        diff = m1 - m2
        det = np.linalg.det(eye + s / h**2)
        return det**-0.5 * np.exp(-0.5 * diff @ np.linalg.solve(s + h**2 * eye, diff))

    return e(mx, sx, mx, sx) + e(my, sy, my, sy) - 2 * e(mx, sx, my, sy)


def main(*, fast: bool = False, out_dir: Path = FIGURES) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    key = jax.random.key(0)
    results: dict = {}

    # Part 1: KL of two normals, closed form against Monte Carlo estimates.
    # JAX computes in float32 by default, as here; the closed forms that serve as references are
    # computed in float64 inside a local ``jax.enable_x64`` scope (no global switch needed).
    # p is the wider law: the ratio r = q/p is then bounded and k3 = (r - 1) - log r has finite
    # variance, so its standard error means what it says. (With q wider than sqrt(2) times p,
    # E_p[r^2] is infinite and k3's sample standard error understates its spread.)
    p, q = gd.Normal(0.0, 1.5), gd.Normal(1.0, 1.0)
    with jax.enable_x64(True):
        p64, q64 = gd.Normal(0.0, 1.5), gd.Normal(1.0, 1.0)  # Python floats: float64 here
        exact = float(gv.kl(p64, q64))
    sizes = [100, 1_000, 10_000] if fast else [100, 300, 1_000, 3_000, 10_000, 30_000, 100_000]
    estimates = {"k1": [], "k3": []}
    for n in sizes:
        for name in estimates:
            est = gv.kl_estimate(jax.random.fold_in(key, n), p, q, n, estimator=name)
            estimates[name].append((float(est.value), float(est.stderr)))
    # D_alpha(p || q) is finite only while alpha s_q^2 + (1 - alpha) s_p^2 > 0, i.e. alpha < 1.8 here
    alphas = np.linspace(0.05, 1.6, 12 if fast else 60)
    with jax.enable_x64(True):
        renyi = np.asarray(jax.vmap(lambda a: gv.renyi(p64, q64, a))(jnp.asarray(alphas)))
        results["renyi_at_1"] = float(gv.renyi(p64, q64, 1.0))
    results.update(kl=exact, estimates=estimates, sizes=sizes, alphas=alphas, renyi=renyi)

    # Part 2: samples of two 2-D Gaussians.
    mx, my = np.array([0.0, 0.0]), np.array([1.0, 0.5])
    sx = np.array([[1.0, 0.3], [0.3, 0.5]])
    sy = np.array([[0.6, -0.2], [-0.2, 0.8]])
    px = gd.MultivariateNormal(jnp.asarray(mx), covariance_matrix=jnp.asarray(sx))
    py = gd.MultivariateNormal(jnp.asarray(my), covariance_matrix=jnp.asarray(sy))
    w2 = float(gv.wasserstein_gaussian_squared(px, py))
    n = 400 if fast else 2000
    kx, ky = jax.random.split(jax.random.fold_in(key, 7))
    x, y = px.sample(kx, (n,)), py.sample(ky, (n,))
    epsilons = [1.0, 0.3, 0.1] if fast else [3.0, 1.0, 0.3, 0.1, 0.03, 0.01]
    sinkhorn = [float(gv.sinkhorn_divergence(x, y, epsilon=e)) for e in epsilons]
    h = 1.0
    mmd = float(gv.mmd_squared(x, y, kernel=gv.kernels.rbf(bandwidth=h)))
    results.update(w2=w2, epsilons=epsilons, sinkhorn=sinkhorn, mmd=mmd)
    results["mmd_exact"] = float(gaussian_mmd_squared(mx, sx, my, sy, h))

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, marker in [("k1", "o"), ("k3", "s")]:
        v = np.asarray(estimates[name])
        axes[0].errorbar(sizes, v[:, 0], yerr=2 * v[:, 1], marker=marker, capsize=3, label=name)
    axes[0].axhline(exact, color="k", lw=1, label="closed form")
    axes[0].set(xscale="log", xlabel="samples", ylabel="KL(p || q)", title="KL: estimates ± 2 s.e.")
    axes[0].legend()
    axes[1].plot(alphas, renyi)
    axes[1].axvline(1.0, color="k", lw=0.5)
    axes[1].axhline(exact, color="k", lw=1, ls="--", label="KL")
    axes[1].set(xlabel="alpha", ylabel="Rényi divergence", title="Rényi order")
    axes[1].legend()
    axes[2].plot(epsilons, sinkhorn, marker="o", label="Sinkhorn divergence (samples)")
    axes[2].axhline(w2, color="k", lw=1, label="W2^2 (Bures, populations)")
    axes[2].set(xscale="log", xlabel="epsilon", ylabel="cost", title=f"Samples, n = {n}")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(out_dir / "divergences.png", dpi=110)
    plt.close(fig)
    return results


if __name__ == "__main__":
    out = main(fast="--fast" in sys.argv)
    print(
        f"KL = {out['kl']:.6f}; W2^2 = {out['w2']:.4f}; Sinkhorn at eps = {out['epsilons'][-1]}:"
        f" {out['sinkhorn'][-1]:.4f}; MMD^2 = {out['mmd']:.5f} (exact {out['mmd_exact']:.5f})"
    )
