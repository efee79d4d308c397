"""Matrix games and their certified duality gaps

A zero-sum matrix game min_x max_y x^T A y over two simplices has a value and a mixed Nash
equilibrium. ``solve_matrix_game`` returns both with the duality gap max_y x^T A y - min_x x^T A y,
a certificate: a gap g means neither player can gain more than g by deviating. We solve biased
rock-paper-scissors, whose equilibrium (1/16, 10/16, 5/16) is known, then watch the no-regret
dynamics (regret matching+, optimistic multiplicative weights, extragradient, fictitious play)
drive the gap of their average strategies to zero, and solve a batch of random games at once
under ``vmap``.

Run ``python docs/tutorials/matrix_games.py`` (add ``--fast`` for the quick version the tests run).
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

from gmath import games as gg

FIGURES = Path(__file__).resolve().parents[1] / "generated" / "figures"
BIASED_RPS = jnp.array([[0.0, -0.25, 0.5], [0.25, 0.0, -0.05], [-0.5, 0.05, 0.0]])


def average_gaps(A, xs, ys):
    """Duality gap of the running averages after each round."""
    t = jnp.arange(1, xs.shape[0] + 1, dtype=xs.dtype)[:, None]
    x_bar = jnp.cumsum(xs, axis=0) / t
    y_bar = jnp.cumsum(ys, axis=0) / t
    return jax.vmap(lambda x, y: gg.duality_gap(A, x, y))(x_bar, y_bar)


def main(*, fast: bool = False, out_dir: Path = FIGURES) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    solution = gg.solve_matrix_game(BIASED_RPS)
    results = {
        "x": np.asarray(solution.x),
        "y": np.asarray(solution.y),
        "value": float(solution.value),
        "gap": float(solution.gap),
    }
    num_steps = 300 if fast else 5000
    curves = {}
    for method in ["rm+", "omwu", "extragradient", "fictitious_play"]:
        xs, ys = gg.play_matrix_game(BIASED_RPS, method=method, num_steps=num_steps)
        curves[method] = np.asarray(average_gaps(BIASED_RPS, xs, ys))
    results["final_gaps"] = {m: float(c[-1]) for m, c in curves.items()}

    games = jax.random.normal(jax.random.key(0), (64 if fast else 1000, 20, 20))
    batch = jax.vmap(lambda A: gg.solve_matrix_game(A, tolerance=1e-6))(games)
    results["batch_max_gap"] = float(jnp.max(batch.gap))
    results["batch_size"] = int(games.shape[0])

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, curve in curves.items():
        ax.plot(np.arange(1, num_steps + 1), np.maximum(curve, 1e-16), label=method)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="rounds T",
        ylabel="gap of the averages",
        title="Biased rock-paper-scissors",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "matrix_games.png", dpi=110)
    plt.close(fig)
    return results


if __name__ == "__main__":
    print(main(fast="--fast" in sys.argv))
