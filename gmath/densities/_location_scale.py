r"""What the location-scale families share: a standard law moved by ``loc`` and stretched by
``scale``, :math:`X = \mu + \sigma Z` (Normal, Cauchy, Laplace, Logistic, Gumbel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

from gmath._numerics import finite_positive, promote, standardize

__all__ = ["LocationScale"]


class LocationScale:
    r"""Mixin for a record with scalar fields ``loc`` and ``scale``: their event dimensions, the
    constraint ``scale > 0`` and the standardisation :math:`z = (x - \mu)/\sigma`."""

    _param_event_ndims = {"loc": 0, "scale": 0}

    if TYPE_CHECKING:  # what the record provides (its fields, Distribution); no dataclass fields
        loc: Any
        scale: Any

        def _check_value(self, x, method: str | None = None) -> jax.Array: ...

    def _constraints(self):
        return [(finite_positive(self.scale), "scale must be positive and finite.")]

    def _standardize(self, x, method: str | None = None):
        """``(z, scale)`` with ``z = (x - loc) / scale``, all promoted to one dtype (``method``, by
        default the public method running, names it in errors)."""
        x = self._check_value(x, method)
        loc, scale, x = promote(self.loc, self.scale, x)
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
