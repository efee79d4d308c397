r"""What the location-scale families share: a standard law moved by ``loc`` and stretched by
``scale``, :math:`X = \mu + \sigma Z` (Normal, Cauchy, Laplace, Logistic, Gumbel).

A family states its standard law :math:`Z` through a few hooks and constants; the public
methods follow from the change of variables :math:`z = (x - \mu)/\sigma` (Johnson, Kotz and
Balakrishnan 1994, vol. 1, sec. 1.B; the density of :math:`\mu + \sigma Z` is
:math:`p_Z(z)/\sigma`):

.. math::
    \log p(x) = \log p_Z(z) - \log\sigma, \quad \nabla_x \log p(x) = \frac{(\log p_Z)'(z)}{\sigma},
    \quad F(x) = F_Z(z), \quad F^{-1}(u) = \mu + \sigma F_Z^{-1}(u),

    H = H_Z + \log\sigma, \quad \mathbb E X = \mu + \sigma\,\mathbb E Z, \quad
    \operatorname{Var} X = \sigma^2 \operatorname{Var} Z, \quad \text{mode} = \mu + \sigma\,
    \text{mode}(Z).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import jax
import jax.numpy as jnp

from gmath._numerics import finite_positive, promote, standardize
from gmath.densities._finite_loc import loc_mask

__all__ = ["LocationScale"]


class LocationScale:
    r"""Mixin for a record with scalar fields ``loc`` and ``scale``: their event dimensions, the
    constraints (``loc`` finite, ``scale`` positive and finite), the standardisation :math:`z = (x - \mu)/\sigma`, and every public
    method derived from the standard law's hooks.

    A family defines (as static methods of :math:`z` or :math:`u`, and class constants):

    * ``_std_log_kernel(z)`` and ``_std_log_norm``: :math:`\log p_Z(z) = ` kernel :math:`-`
      norm (the density is evaluated as ``kernel - log(scale) - norm``);
    * ``_std_score(z)``: :math:`(\log p_Z)'(z)`;
    * ``_std_cdf(z)``, ``_std_log_cdf(z)`` and ``_std_log_survival(z)`` (by default
      ``_std_log_cdf(-z)``, right for a law symmetric about 0);
    * ``_std_icdf(u)`` and ``_std_sample(key, shape, dtype)``;
    * ``_std_entropy``, ``_std_mean``, ``_std_variance`` and ``_std_mode`` (NaN where a
      moment does not exist: the mean is then NaN, not :math:`\mu`).

    At :math:`x = \pm\infty` the log-density is ``-inf`` with a zero gradient; the score's and
    the log-density's derivatives in ``scale`` avoid the overflow of :math:`\sigma^{-2}` (so
    they are finite for ``scale = 1e-30`` in float32 where the result is).
    """

    _param_event_ndims = {"loc": 0, "scale": 0}

    _std_log_norm: ClassVar[float] = 0.0
    _std_entropy: ClassVar[float]
    _std_mean: ClassVar[float] = 0.0
    _std_variance: ClassVar[float]
    _std_mode: ClassVar[float] = 0.0

    if TYPE_CHECKING:  # what the record provides (its fields, Distribution); no dataclass fields
        loc: Any
        scale: Any

        @property
        def batch_shape(self) -> tuple[int, ...]: ...

        def _check_value(self, x, method: str | None = None) -> jax.Array: ...

        def _sample_shape(self, sample_shape) -> tuple[int, ...]: ...

    # ------------------------------------------------------------------ the standard law
    @staticmethod
    def _std_log_kernel(z):
        raise NotImplementedError

    @staticmethod
    def _std_score(z):
        raise NotImplementedError

    @staticmethod
    def _std_cdf(z):
        raise NotImplementedError

    @staticmethod
    def _std_log_cdf(z):
        raise NotImplementedError

    @classmethod
    def _std_log_survival(cls, z):
        return cls._std_log_cdf(-z)

    @staticmethod
    def _std_icdf(u):
        raise NotImplementedError

    @staticmethod
    def _std_sample(key, shape, dtype):
        raise NotImplementedError

    # ------------------------------------------------------------------ machinery
    def _constraints(self):
        # an infinite loc is no distribution (its log-density would be -inf everywhere, its
        # mean inf): invalid like an infinite scale
        return [
            (jnp.isfinite(jnp.asarray(self.loc)), "loc must be finite."),
            (finite_positive(self.scale), "scale must be positive and finite."),
        ]

    def _loc_scale(self, *rest):
        """``(loc, scale, *rest)`` promoted to one dtype; ``loc`` and ``scale`` are NaN, in value and
        derivative, for a member whose ``loc`` is not finite (see ``loc_mask``)."""
        loc, scale, *rest = promote(self.loc, self.scale, *rest)
        mask = loc_mask(loc)
        return (loc * mask, scale * mask, *rest)

    def _standardize(self, x, method: str | None = None):
        """``(z, scale)`` with ``z = (x - loc) / scale``, all promoted to one dtype (``method``, by
        default the public method running, names it in errors)."""
        x = self._check_value(x, method)
        loc, scale, x = self._loc_scale(x)
        # derivatives without overflow for tiny scales and none at x = +-inf (a limit)
        return standardize(x, loc, scale), scale

    @staticmethod
    def _per_scale(value, scale):
        """``value / scale`` with derivatives free of the overflow of ``scale**-2`` (so finite for
        ``scale = 1e-30`` in float32 where the result is)."""
        return standardize(value, 0.0, scale)

    @staticmethod
    def _at_infinity(z, log_density):
        """``log_density`` with ``-inf`` (and a zero gradient) at ``x = +-inf``."""
        return jnp.where(jnp.isinf(z), -jnp.inf, log_density)

    def _moment(self, std_value, power: int):
        """``loc + std_value * scale`` (``power`` 1) or ``std_value * scale**2`` (``power`` 2),
        broadcast to ``batch_shape``; NaN where ``std_value`` is (no such moment)."""
        loc, scale = self._loc_scale()
        if math.isnan(std_value):
            return jnp.full(self.batch_shape, jnp.nan, loc.dtype)
        if power == 2:
            value = std_value * scale * scale
        elif std_value == 0.0:
            value = loc
        else:
            value = loc + std_value * scale
        return jnp.broadcast_to(value, self.batch_shape)

    # ------------------------------------------------------------------ the public methods
    def log_prob(self, x) -> jax.Array:
        r""":math:`\log p_Z((x - \mu)/\sigma) - \log\sigma`; ``-inf`` at :math:`\pm\infty`."""
        z, scale = self._standardize(x, "log_prob")
        value = self._std_log_kernel(z) - jnp.log(scale) - self._std_log_norm
        return self._at_infinity(z, value)

    def score(self, x) -> jax.Array:
        r"""Closed-form score :math:`(\log p_Z)'((x - \mu)/\sigma)/\sigma`.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, scale = self._standardize(x, "score")
        return self._per_scale(self._std_score(z), scale)

    def cdf(self, x) -> jax.Array:
        r""":math:`F_Z((x - \mu)/\sigma)`.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, _ = self._standardize(x, "cdf")
        return self._std_cdf(z)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log F_Z((x - \mu)/\sigma)`, accurate deep in the lower tail.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, _ = self._standardize(x, "log_cdf")
        return self._std_log_cdf(z)

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(1 - F_Z((x - \mu)/\sigma))`, accurate deep in the upper tail.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, _ = self._standardize(x, "log_survival")
        return self._std_log_survival(z)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\mu + \sigma F_Z^{-1}(u)`.

        Args:
          u: probabilities in :math:`[0, 1]`, shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        loc, scale, u = self._loc_scale(self._check_value(u, "icdf"))
        return loc + scale * self._std_icdf(u)

    def sample(self, key, sample_shape=()) -> jax.Array:
        r"""Reparameterised draws :math:`\mu + \sigma Z`."""
        loc, scale = self._loc_scale()
        eps = self._std_sample(key, self._sample_shape(sample_shape), loc.dtype)
        return loc + scale * eps

    def entropy(self) -> jax.Array:
        r""":math:`H_Z + \log\sigma`.

        Returns:
          Array of shape ``batch_shape``.
        """
        loc, scale = self._loc_scale()
        return jnp.broadcast_to(self._std_entropy + jnp.log(scale), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`\mu + \sigma\,\mathbb E Z` (NaN where :math:`\mathbb E Z` does not exist)."""
        return self._moment(self._std_mean, 1)

    def variance(self) -> jax.Array:
        r""":math:`\sigma^2 \operatorname{Var} Z` (NaN where it does not exist)."""
        return self._moment(self._std_variance, 2)

    def mode(self) -> jax.Array:
        r""":math:`\mu + \sigma\,\text{mode}(Z)`."""
        return self._moment(self._std_mode, 1)
