"""A GAN on ring and grid mixtures: game solvers against mode collapse

A generative adversarial network is a zero-sum game between a generator and a discriminator.
Here both are tiny pure-JAX MLPs, the target is a ring of 8 or a grid of 25 Gaussians (the test
beds of Metz et al. 2017), and the same game is solved by five solvers from ``gmath.games``:
simultaneous gradient descent–ascent, extragradient, optimistic GDA, consensus optimisation and
competitive gradient descent, each composed with Adam through the duck-typed ``optimizer=``.
We report how many modes each captures, the fraction of high-quality samples, and the MMD to
the target (``gmath.divergences.mmd_squared``). The training code is ``examples/gan_mixtures.py``.

Run ``python docs/tutorials/gan_mixtures.py`` (add ``--fast`` for the quick version the tests run;
the full version takes several minutes on a 2-core CPU).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[1] / "generated" / "figures"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gan_mixtures.py"


def _example():
    spec = importlib.util.spec_from_file_location("gan_mixtures_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(*, fast: bool = False, out_dir: Path = FIGURES, solvers=None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    example = _example()
    solvers = tuple(solvers) if solvers is not None else example.SOLVERS
    return example.run(fast=fast, figure=out_dir / "gan_mixtures.png", solvers=solvers)


if __name__ == "__main__":
    for (target, solver), metrics in main(fast="--fast" in sys.argv).items():
        print(
            f"{target:5s} {solver:15s} modes {metrics['modes_captured']:2d}/{metrics['num_modes']}"
            f"  high-quality {metrics['high_quality']:.2f}  MMD^2 {metrics['mmd2']:.4f}"
        )
