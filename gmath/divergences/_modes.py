r"""Mode-collapse diagnostics: precision/recall, density/coverage, modes captured."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gmath._jit import cached
from gmath._numerics import default_float, promote
from gmath._numerics._geometry import PointCloud, point_cloud
from gmath.divergences._samples import as_arrays, check_points

__all__ = [
    "ModeCoverage",
    "PrecisionRecall",
    "grid_modes",
    "mode_coverage",
    "precision_recall",
    "ring_modes",
]


def _kth_radius(geom: PointCloud, k):
    """Squared distance of each point of a self-cloud to its k-th nearest other point."""
    # the point itself is at distance 0: take the (k + 1)-th smallest
    return geom.row_smallest(k + 1)[:, k]


class PrecisionRecall(NamedTuple):
    """Result of :func:`precision_recall` (each a scalar in ``[0, 1]``; density can exceed 1)."""

    precision: Any
    recall: Any
    density: Any
    coverage: Any


def precision_recall(real, fake, *, k: int = 5) -> PrecisionRecall:
    r"""k-NN precision and recall (Kynkäänniemi et al. 2019) and density and coverage
    (Naeem et al. 2020).

    With :math:`r_k(z)` the distance from :math:`z` to its k-th nearest neighbour in its own set
    and :math:`B(z, r)` the closed ball,

    .. math::
        \text{precision} = \frac1M\sum_j \mathbb 1\bigl[\exists i: y_j \in B(x_i, r_k(x_i))\bigr],
        \qquad
        \text{recall} = \frac1N\sum_i \mathbb 1\bigl[\exists j: x_i \in B(y_j, r_k(y_j))\bigr],

    .. math::
        \text{density} = \frac{1}{kM}\sum_j \sum_i \mathbb 1\bigl[y_j \in B(x_i, r_k(x_i))\bigr],
        \qquad
        \text{coverage} = \frac1N\sum_i \mathbb 1\bigl[\exists j: y_j \in B(x_i, r_k(x_i))\bigr],

    for real samples :math:`x_{1..N}` and generated samples :math:`y_{1..M}`. Distances are
    computed in row blocks: memory :math:`O(b(N + M))`, never :math:`N \times M`.

    Args:
      real: ``[N, d]`` real samples (features). fake: ``[M, d]`` generated samples.
      k: neighbourhood size (``k < N`` and ``k < M``).

    Returns:
      :class:`PrecisionRecall`.

    References:
      Kynkäänniemi et al. (2019). Improved precision and recall metric for assessing generative
      models. NeurIPS [@kynkaanniemi2019improved]. Naeem et al. (2020). Reliable fidelity and
      diversity metrics for generative models. ICML [@naeem2020reliable].

    Examples:
      >>> import jax
      >>> from gmath.divergences import precision_recall
      >>> x = jax.random.normal(jax.random.key(0), (50, 2))
      >>> out = precision_recall(x, x, k=3)
      >>> float(out.precision), float(out.recall), float(out.coverage)
      (1.0, 1.0, 1.0)
    """
    real, fake = as_arrays(real, fake)
    return _precision_recall(real, fake, k=int(k))


@cached(static_argnames=("k",))
def _precision_recall(real, fake, *, k):
    real, fake = check_points(real, fake, "precision_recall", names=("real", "fake"))
    real, fake = promote(real, fake)
    n, m = real.shape[0], fake.shape[0]
    k = int(k)
    if not 1 <= k < min(n, m):
        raise ValueError(f"precision_recall: need 1 <= k < min(N, M) = {min(n, m)}, got k={k}.")
    geom = point_cloud(real, fake)  # rows real, columns fake; one centring shift
    r_real = _kth_radius(geom.within_x(), k)
    r_fake = _kth_radius(geom.within_y(), k)
    fake_in_real = geom.transpose().row_count_within(r_real)  # [M]
    real_in_fake = geom.row_count_within(r_fake)  # [N]
    dtype = real.dtype
    precision = jnp.mean((fake_in_real > 0).astype(dtype))
    recall = jnp.mean((real_in_fake > 0).astype(dtype))
    density = jnp.sum(fake_in_real.astype(dtype)) / (k * m)

    # coverage: does the nearest fake sample fall in each real point's ball?
    nearest, _ = geom.row_min()
    coverage = jnp.mean((nearest <= r_real).astype(dtype))
    return PrecisionRecall(precision, recall, density, coverage)


class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage`."""

    num_modes_captured: Any
    high_quality_fraction: Any
    counts: Any


def mode_coverage(
    samples, modes, *, std, threshold: float = 3.0, min_count: int = 1
) -> ModeCoverage:
    r"""Modes captured and high-quality fraction on a mixture with known modes.

    A sample is *high quality* when it lies within ``threshold * std`` of its nearest mode (the
    usual 3 standard deviations); a mode is *captured* when at least ``min_count`` high-quality
    samples are nearest to it (Srivastava et al. 2017; Metz et al. 2017 for the ring and grid
    test beds, see :func:`ring_modes` and :func:`grid_modes`).

    Args:
      samples: ``[n, d]`` generated samples.
      modes: ``[K, d]`` mode centres.
      std: standard deviation of each mixture component.
      threshold: quality radius in units of ``std``.
      min_count: high-quality samples needed for a mode to count as captured.

    Returns:
      :class:`ModeCoverage` ``(num_modes_captured, high_quality_fraction, counts)``, ``counts`` the
      ``[K]`` high-quality samples per mode.

    References:
      Srivastava et al. (2017). VEEGAN: reducing mode collapse in GANs using implicit variational
      learning. NeurIPS [@srivastava2017veegan].

    Examples:
      >>> import jax
      >>> from gmath.divergences import mode_coverage, ring_modes
      >>> modes = ring_modes(num_modes=8, radius=2.0)
      >>> samples = modes[:4].repeat(10, axis=0)  # collapsed onto half the modes
      >>> out = mode_coverage(samples, modes, std=0.02)
      >>> int(out.num_modes_captured), float(out.high_quality_fraction)
      (4, 1.0)
    """
    samples, modes, std = as_arrays(samples, modes, std)
    return _mode_coverage(samples, modes, std, threshold=threshold, min_count=min_count)


@cached(static_argnames=("threshold", "min_count"))
def _mode_coverage(samples, modes, std, *, threshold, min_count):
    samples, modes = check_points(samples, modes, "mode_coverage", names=("samples", "modes"))
    samples, modes, std = promote(samples, modes, std)
    num_modes = modes.shape[0]

    d2, idx = point_cloud(samples, modes).row_min()
    good = d2 <= (threshold * std) ** 2
    counts = jnp.zeros(num_modes, jnp.int32).at[idx].add(good.astype(jnp.int32))
    captured = jnp.sum(counts >= min_count)
    return ModeCoverage(captured, jnp.mean(good.astype(samples.dtype)), counts)


def ring_modes(*, num_modes: int = 8, radius: float = 2.0, dtype=None) -> jax.Array:
    r"""Centres :math:`r(\cos 2\pi k/K, \sin 2\pi k/K)` of the ring-of-Gaussians test bed.

    The standard setting is 8 modes on a circle of radius 2 with standard deviation 0.02
    (Metz et al. 2017 [@metz2017unrolled]).

    Examples:
      >>> from gmath.divergences import ring_modes
      >>> ring_modes(num_modes=4, radius=1.0).round(6).tolist()
      [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [-0.0, -1.0]]
    """
    dtype = default_float() if dtype is None else dtype
    angles = 2 * math.pi * jnp.arange(num_modes, dtype=dtype) / num_modes
    return radius * jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1)


def grid_modes(*, num_per_side: int = 5, spacing: float = 2.0, dtype=None) -> jax.Array:
    r"""Centres of the grid-of-Gaussians test bed: a centred square grid.

    The standard setting is a 5 x 5 grid at :math:`\{-4, -2, 0, 2, 4\}^2` with standard
    deviation 0.05 (Srivastava et al. 2017).

    Examples:
      >>> from gmath.divergences import grid_modes
      >>> grid_modes(num_per_side=2, spacing=2.0).tolist()
      [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    """
    dtype = default_float() if dtype is None else dtype
    ticks = spacing * (jnp.arange(num_per_side, dtype=dtype) - (num_per_side - 1) / 2)
    gx, gy = jnp.meshgrid(ticks, ticks, indexing="ij")
    return jnp.stack([gx.ravel(), gy.ravel()], axis=1)
