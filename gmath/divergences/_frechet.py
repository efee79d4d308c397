r"""Squared Fréchet distance between feature sets (the FID convention), with streaming moments."""

from __future__ import annotations

import functools
import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import default_float, float64_scope, float_dtype, matmul
from gmath.divergences._gaussian_ot import wasserstein_gaussian_squared_from_moments

__all__ = ["RunningMoments", "frechet_distance", "frechet_distance_squared"]


class RunningMoments(NamedTuple):
    r"""Streaming mean and covariance of features that arrive in batches (a pytree).

    Batches are merged with the parallel (Chan et al.) update
    :math:`\delta = \bar x_B - \bar x_A`, :math:`M_2 \leftarrow M_{2,A} + M_{2,B} +
    \delta\delta^\top n_A n_B / n`, exact in any batch order and numerically stable. Each batch's
    moments and each merge are computed in float64 whatever the x64 setting; the record is stored
    in the default float dtype (float64 with x64 enabled, else float32), or wider if the features
    are, so with x64 disabled a long stream adds one float32 rounding per merge.

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
        dtype = default_float() if dtype is None else jax.dtypes.canonicalize_dtype(dtype)
        return cls(jnp.zeros((), dtype), jnp.zeros((dim,), dtype), jnp.zeros((dim, dim), dtype))

    @classmethod
    def from_samples(cls, x) -> RunningMoments:
        """Moments of one ``[n, d]`` batch."""
        x, dtype = _features(x, "RunningMoments", min_rows=1)
        store = _wider(default_float(), dtype)
        with float64_scope():
            moments = _moments64(x)
            return cls(*(v.astype(store) for v in moments))

    def update(self, batch) -> RunningMoments:
        """Merge a ``[b, d]`` batch."""
        batch, batch_dtype = _features(batch, "RunningMoments.update", min_rows=1)
        if batch.shape[1:] != self.mean.shape:
            raise ValueError(
                f"RunningMoments.update: batch dimension {batch.shape[1]} does not match "
                f"{self.mean.shape[0]}."
            )
        store = _wider(jnp.result_type(self.mean), batch_dtype)
        with float64_scope():
            count, mean, m2 = (jnp.asarray(v).astype(jnp.float64) for v in self)
            ocount, omean, om2 = _moments64(batch)
            total = count + ocount
            delta = omean - mean
            new_mean = mean + delta * (ocount / total)
            new_m2 = m2 + om2 + jnp.outer(delta, delta) * (count * ocount / total)
            return RunningMoments(*(v.astype(store) for v in (total, new_mean, new_m2)))

    def covariance(self) -> jax.Array:
        """Unbiased covariance :math:`M_2 / (n - 1)`; NaN for fewer than 2 samples (undefined)."""
        n = self.count
        return jnp.where(n >= 2, self.m2 / jnp.where(n >= 2, n - 1, 1), jnp.nan)


def _features(x, owner, min_rows=2):
    """Checks a feature matrix; returns it (a NumPy array keeps its float64 digits for the float64
    scope) and the dtype results for it take outside the scope."""
    if not isinstance(x, jax.Array):
        x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{owner}: features must have shape [n, d], got {x.shape}.")
    if x.shape[0] < min_rows or x.shape[1] == 0:
        raise ValueError(
            f"{owner}: need at least {min_rows} feature vectors of dimension >= 1, got {x.shape}."
        )
    return x, float_dtype(x)


def _moments64(x):
    """``(n, mean, M2)`` of an ``[n, d]`` batch in float64 (call inside :func:`float64_scope`)."""
    x = jnp.asarray(x).astype(jnp.float64)
    mean = jnp.mean(x, 0)
    xc = x - mean
    m2 = matmul(xc.T, xc)
    return jnp.asarray(x.shape[0], jnp.float64), mean, m2


def _wider(d1, d2):
    d1, d2 = jnp.dtype(d1), jnp.dtype(d2)
    if not jnp.issubdtype(d2, jnp.floating):
        return d1
    return d1 if d1.itemsize >= d2.itemsize else d2


def frechet_distance_squared(x, y) -> jax.Array:
    r"""Squared Fréchet distance between two feature sets: :math:`W_2^2` of their fitted
    Gaussians (what FID reports).

    .. math::
        \mathrm{FD} = \|\mu_x - \mu_y\|^2 + \operatorname{tr}\Sigma_x + \operatorname{tr}\Sigma_y
        - 2\operatorname{tr}\bigl(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}\bigr)^{1/2},

    with unbiased covariances (the FID convention of Heusel et al. 2017, on Inception features).
    Features are rows: ``x`` is ``[n, d]``, ``n`` vectors of dimension ``d``; a transposed
    ``[d, n]`` matrix cannot always be told apart, so check the orientation (both sets must have
    the same ``d``: different dimensions raise ``ValueError``). With ``n <= d`` the sample
    covariance has rank at most ``n - 1 < d`` (singular): the value is then the exact
    :math:`W_2^2` between the two degenerate fitted Gaussians, supported on the affine spans of
    the samples, a finite, well-defined number but a high-variance, strongly biased estimate of
    the distance between the underlying distributions (FID is usually computed with
    :math:`n \gg d`, e.g. 50 000 samples of 2048 features). Its accuracy is then absolute, of
    order :math:`d\sqrt{u\operatorname{tr}\Sigma}` (:math:`u` the float64 unit roundoff): the
    null eigenvalues come out of the eigensolver as rounding, and the trace term takes their
    square roots.
    Computed in float64 whatever the x64 setting (moments, eigenvalues and the final
    cancellation), then returned in the input dtype; the trace term comes from the eigenvalues of the
    symmetric PSD matrix :math:`\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}` (clamped at zero), so it is
    never complex, and the result is clamped at zero. ``sqrt(FD)`` is a metric: the name
    carries ``_squared`` because the value is the square of that distance.

    Args:
      x: ``[n, d]`` features (an array or a nested list), ``n >= 2`` (fewer raise
        ``ValueError`` naming the argument), or a :class:`RunningMoments` accumulated over
        batches.
      y: ``[m, d]`` features, or a :class:`RunningMoments`.

    Returns:
      Scalar FD in the input dtype (float32 in, float32 out). Differentiable in reverse mode
      (``grad``, first order) with respect to the features or the moments; the gradient is
      computed in float64 as well.

    References:
      Heusel et al. (2017). GANs trained by a two time-scale update rule converge to a local Nash
      equilibrium. NeurIPS [@heusel2017gans]. Dowson and Landau (1982) [@dowson1982frechet].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import frechet_distance_squared
      >>> x = jnp.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
      >>> round(float(frechet_distance_squared(x, x + 1.0)), 6)
      2.0
    """
    inputs, dtypes = [], []
    for name, v in (("x", x), ("y", y)):
        if isinstance(v, RunningMoments):
            _check_count(v, name)
            dtypes.append(jnp.result_type(v.mean))
        else:
            v, dtype = _features(v, f"frechet_distance_squared ({name})")
            dtypes.append(dtype)
        inputs.append(v)
    dims = [v.mean.shape[-1] if isinstance(v, RunningMoments) else v.shape[1] for v in inputs]
    if dims[0] != dims[1]:
        raise ValueError(
            f"frechet_distance_squared: feature dimensions differ, {dims[0]} and {dims[1]}."
        )
    out = _wider(*dtypes)
    if not any(isinstance(leaf, jax.Array) for leaf in jax.tree_util.tree_leaves(inputs)):
        # NumPy features: every digit they carry reaches the float64 computation
        with float64_scope():
            return _value64_jit(*inputs, out=out)
    inputs = [
        jax.tree_util.tree_map(lambda a, d=d: jnp.asarray(a).astype(d), v)
        for v, d in zip(inputs, dtypes, strict=True)
    ]
    return _frechet_jit(*inputs, out=out)


def _as_moments64(v):
    if isinstance(v, RunningMoments):
        return tuple(jnp.asarray(s).astype(jnp.float64) for s in v)
    return _moments64(v)


def _check_count(v, name):
    """A :class:`RunningMoments` needs 2 samples for a covariance: concrete -> ValueError,
    traced -> NaN (``_value64``) and ``InvalidParameterError`` in checks mode."""
    count = v.count
    message = (
        f"frechet_distance_squared: {name} is a RunningMoments of fewer than 2 samples (count "
        "{count}); the unbiased covariance needs at least 2 (update it with features first)"
    )
    if isinstance(count, jax.core.Tracer):
        error_if_not(jnp.asarray(count) >= 2, message.format(count="traced") + ".")
        return
    n = float(np.asarray(count))
    if not n >= 2:
        raise ValueError(message.format(count=f"{n:g}") + ".")


def _value64(x, y):
    """FD in float64 of two feature matrices or :class:`RunningMoments` (inside the scope)."""
    (nx, mx, m2x), (ny, my, m2y) = (_as_moments64(v) for v in (x, y))
    # fewer than 2 samples: no covariance (an empty accumulator is not a point mass)
    ok = (nx >= 2) & (ny >= 2)
    nx, ny = jnp.where(ok, nx, 2), jnp.where(ok, ny, 2)
    value = wasserstein_gaussian_squared_from_moments(mx, m2x / (nx - 1), my, m2y / (ny - 1))
    return jnp.where(ok, value, jnp.nan)


# Reverse-mode derivatives through the float64 scope: JAX builds the backward pass after the
# forward function returns, outside the scope, where float64 is truncated when x64 is disabled;
# the forward pass therefore computes the gradient inside the scope and keeps it (cast to the
# inputs' dtypes) as the residual.
@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _frechet_differentiable(out, x, y):
    with float64_scope():
        return _value64(x, y).astype(out)


def _frechet_fwd(out, x, y):
    dtypes = jax.tree_util.tree_map(lambda a: a.dtype, (x, y))
    with float64_scope():
        args = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64), (x, y))
        value, grads = jax.value_and_grad(_value64, argnums=(0, 1))(*args)
        grads = jax.tree_util.tree_map(lambda g, d: g.astype(d), grads, dtypes)
        return value.astype(out), grads


def _frechet_bwd(out, grads, ct):
    del out
    return jax.tree_util.tree_map(lambda g: (ct * g).astype(g.dtype), grads)


_frechet_differentiable.defvjp(_frechet_fwd, _frechet_bwd)


# Compiled once per shape, dtype and x64 setting (gmath._jit.cached): eagerly, the eigensolvers
# and the custom VJP would otherwise be recompiled on every call. The NumPy path is called inside
# the float64 scope, so its compiled function sees float64 inputs.
_value64_jit = cached(lambda x, y, *, out: _value64(x, y).astype(out), static_argnames=("out",))
_frechet_jit = cached(
    lambda x, y, *, out: _frechet_differentiable(out, x, y), static_argnames=("out",)
)


def frechet_distance(x, y) -> jax.Array:
    """Deprecated name of :func:`frechet_distance_squared` (which returns the squared Fréchet
    distance, as FID does); emits ``DeprecationWarning``, to be removed in the next release."""
    warnings.warn(
        "gmath.divergences.frechet_distance is deprecated: use frechet_distance_squared (the "
        "same value, the squared Frechet distance, as FID reports).",
        DeprecationWarning,
        stacklevel=2,
    )
    return frechet_distance_squared(x, y)
