r"""Fréchet distance between feature sets (the FID convention), with streaming moments."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from gmath._numerics import default_float, promote
from gmath.divergences._gaussian_ot import wasserstein_gaussian_from_moments

__all__ = ["RunningMoments", "frechet_distance"]


class RunningMoments(NamedTuple):
    r"""Streaming mean and covariance of features that arrive in batches (a pytree).

    Batches are merged with the parallel (Chan et al.) update
    :math:`\delta = \bar x_B - \bar x_A`, :math:`M_2 \leftarrow M_{2,A} + M_{2,B} +
    \delta\delta^\top n_A n_B / n`, exact in any batch order and numerically stable. Kept in
    float64 when x64 is enabled.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import RunningMoments
      >>> s = RunningMoments.empty(1).update(jnp.array([[1.0], [2.0]])).update(jnp.array([[3.0]]))
      >>> float(s.mean[0]), float(s.covariance()[0, 0])
      (2.0, 1.0)
    """

    count: Any
    mean: Any
    m2: Any

    @classmethod
    def empty(cls, dim: int, dtype=None) -> RunningMoments:
        """No data yet, features of dimension ``dim``."""
        dtype = default_float() if dtype is None else dtype
        return cls(jnp.zeros((), dtype), jnp.zeros((dim,), dtype), jnp.zeros((dim, dim), dtype))

    @classmethod
    def from_samples(cls, x) -> RunningMoments:
        """Moments of one ``[n, d]`` batch."""
        x = _features(x, "RunningMoments", min_rows=1)
        n = x.shape[0]
        mean = jnp.mean(x, 0)
        xc = x - mean
        return cls(jnp.asarray(n, x.dtype), mean, xc.T @ xc)

    def update(self, batch) -> RunningMoments:
        """Merge a ``[b, d]`` batch."""
        other = RunningMoments.from_samples(batch)
        if other.mean.shape != self.mean.shape:
            raise ValueError(
                f"RunningMoments.update: batch dimension {other.mean.shape[0]} does not match "
                f"{self.mean.shape[0]}."
            )
        count, mean, m2, ocount, omean, om2 = promote(
            self.count, self.mean, self.m2, other.count, other.mean, other.m2
        )
        total = count + ocount
        delta = omean - mean
        new_mean = mean + delta * (ocount / total)
        new_m2 = m2 + om2 + jnp.outer(delta, delta) * (count * ocount / total)
        return RunningMoments(total, new_mean, new_m2)

    def covariance(self):
        """Unbiased covariance :math:`M_2 / (n - 1)`."""
        return self.m2 / (self.count - 1)


def _features(x, owner, min_rows=2):
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{owner}: features must have shape [n, d], got {x.shape}.")
    if x.shape[0] < min_rows or x.shape[1] == 0:
        raise ValueError(
            f"{owner}: need at least {min_rows} feature vectors of dimension >= 1, got {x.shape}."
        )
    return x.astype(_wider(default_float(), x.dtype))


def _wider(d1, d2):
    d1, d2 = jnp.dtype(d1), jnp.dtype(d2)
    if not jnp.issubdtype(d2, jnp.floating):
        return d1
    return d1 if d1.itemsize >= d2.itemsize else d2


def frechet_distance(x, y):
    r"""Fréchet distance between two feature sets: :math:`W_2^2` of their fitted Gaussians.

    .. math::
        \mathrm{FD} = \|\mu_x - \mu_y\|^2 + \operatorname{tr}\Sigma_x + \operatorname{tr}\Sigma_y
        - 2\operatorname{tr}\bigl(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}\bigr)^{1/2},

    with unbiased covariances (the FID convention of Heusel et al. 2017, on Inception features).
    Computed in float64 when x64 is enabled; the trace term comes from the eigenvalues of the
    symmetric PSD matrix :math:`\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}` (clamped at zero), so it is
    never complex, and the result is clamped at zero. ``sqrt(FD)`` is a metric.

    Args:
      x: ``[n, d]`` features, or a :class:`RunningMoments` accumulated over batches.
      y: ``[m, d]`` features, or a :class:`RunningMoments`.

    Returns:
      Scalar FD in the input dtype (float32 in, float32 out).

    References:
      Heusel et al. (2017). GANs trained by a two time-scale update rule converge to a local Nash
      equilibrium. NeurIPS [@heusel2017gans]. Dowson and Landau (1982) [@dowson1982frechet].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import frechet_distance
      >>> x = jnp.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
      >>> round(float(frechet_distance(x, x + 1.0)), 6)
      2.0
    """
    out_dtypes = []
    stats = []
    for name, v in (("x", x), ("y", y)):
        if isinstance(v, RunningMoments):
            out_dtypes.append(jnp.asarray(v.mean).dtype)
            stats.append(v)
        else:
            v = jnp.asarray(v)
            out_dtypes.append(v.dtype if jnp.issubdtype(v.dtype, jnp.floating) else default_float())
            stats.append(RunningMoments.from_samples(_features(v, f"frechet_distance ({name})")))
    sx, sy = stats
    if sx.mean.shape != sy.mean.shape:
        raise ValueError(
            f"frechet_distance: feature dimensions differ, {sx.mean.shape[0]} and "
            f"{sy.mean.shape[0]}."
        )
    value = wasserstein_gaussian_from_moments(sx.mean, sx.covariance(), sy.mean, sy.covariance())
    return value.astype(_wider(out_dtypes[0], out_dtypes[1]))
