"""The Bernoulli distribution."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1pexp, not_subnormal, promote, xlog1py, xlogy
from gmath._numerics._discrete_numerics import with_boundary_slope
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import (
    SuccessProbability,
    check_logits_or_probs,
    promote_value,
    undefined_score,
)

__all__ = ["Bernoulli"]


def _entropy_probs(p):
    valid = (p >= 0) & (p <= 1)
    return jnp.where(valid, -xlogy(p, p) - xlog1py(1 - p, -p), jnp.nan)


def _point_mass(p):  # dH/dp = log((1 - p) / p): +inf at p = 0, -inf at p = 1
    mask = (p == 0) | (p == 1)
    return mask, jnp.where(p == 0, jnp.inf, -jnp.inf), jnp.where(mask, 0.5, p)


_PROBS_MESSAGE = "probs must lie in [0, 1] (a subnormal probability is not supported)."


@distribution
class Bernoulli(SuccessProbability, Distribution):
    r"""Bernoulli distribution on :math:`\{0, 1\}` with :math:`P(X = 1) = p = \sigma(\ell)`.

    .. math::
        \log p(x) = x \log p + (1 - x) \log(1 - p)
                  = -x\,\operatorname{softplus}(-\ell) - (1 - x)\operatorname{softplus}(\ell),
        \qquad H = -p \log p - (1 - p)\log(1 - p).

    Pass exactly one of ``logits`` (:math:`\ell = \log p - \log(1 - p)`) or ``probs``
    (:math:`p`); both are pytree fields, the one not given is ``None``.
    :meth:`logits_parameter` and :meth:`probs_parameter` return either one, computed stably from
    the one given (``log_sigmoid``/``softplus`` from logits, ``log``/``log1p`` from probs).

    Logits of :math:`\pm\infty` are the limits :math:`p = 1` and :math:`p = 0`; a point
    mass (:math:`p \in \{0, 1\}`) has ``log_prob`` 0 at its atom, entropy 0, and finite
    ``log_prob`` gradients (:math:`\partial_p \log p(0) = -1` at :math:`p = 0`; a ``-inf``
    value has gradient 0); the entropy's slope there is that of :math:`-p\log p`,
    :math:`\partial_p H = \log((1 - p)/p) = \pm\infty`. ``probs`` outside :math:`[0, 1]` or
    NaN ``logits`` give NaN from every method, samples included. Subnormal ``probs`` act as 0
    (XLA flushes subnormal operands to zero).

    ``log_prob`` accepts integer, boolean or floating ``x``; it is ``-inf`` for any ``x`` other
    than 0 or 1. ``sample`` returns 0/1 values in the parameters' floating dtype. ``mode`` is 1
    where :math:`p > 1/2`, else 0 (0 on the tie). ``score`` raises ``TypeError``: the score
    :math:`\nabla_x \log p(x)` is undefined for a discrete ``x``.

    Args:
      logits: log-odds :math:`\ell`, any shape (the batch shape).
      probs: success probability :math:`p \in [0, 1]`, any shape.

    References:
      Johnson, Kemp and Kotz (2005). Univariate Discrete Distributions, 3rd ed., ch. 3
      [@johnson2005univariate].

    Examples:
      >>> from gmath.densities import Bernoulli
      >>> p = Bernoulli(logits=0.0)
      >>> round(float(p.log_prob(1)), 6)
      -0.693147
      >>> round(float(Bernoulli(probs=0.25).entropy()), 6)
      0.562335
    """

    logits: Any = None
    probs: Any = None

    _param_event_ndims = {"logits": 0, "probs": 0}

    def __post_init__(self) -> None:
        check_logits_or_probs(self)
        super().__post_init__()

    def _constraints(self):
        if self.probs is not None:
            probs = jnp.asarray(self.probs)
            return [((probs >= 0) & (probs <= 1) & not_subnormal(probs), _PROBS_MESSAGE)]
        return [(~jnp.isnan(jnp.asarray(self.logits)), "logits must not be NaN.")]

    def _param(self):
        return self.logits if self.probs is None else self.probs

    def _log_p_q(self, param):
        """``(log p, log(1 - p))`` from the promoted parameter: ``-inf`` at ``p = 0`` (``1``)
        with a zero gradient (the argument of ``log`` sanitised first), NaN for invalid probs."""
        if self.probs is None:
            return -log1pexp(-param), -log1pexp(param)
        valid = (param >= 0) & (param <= 1)  # NaN (not a finite value) for invalid probs
        # log p of a subnormal p is -inf, as XLA flushes subnormal operands to zero
        pos = param >= jnp.finfo(param.dtype).tiny
        log_p = jnp.where(pos, jnp.log(jnp.where(pos, param, 1.0)), -jnp.inf)
        log_q = jnp.where(param < 1, jnp.log1p(-jnp.where(param < 1, param, 0.0)), -jnp.inf)
        return jnp.where(valid, log_p, jnp.nan), jnp.where(valid, log_q, jnp.nan)

    def log_prob(self, x) -> jax.Array:
        param, x = promote_value(self._check_value(x), self._param())
        log_p, log_q = self._log_p_q(param)
        out = jnp.where(x == 1, log_p, jnp.where(x == 0, log_q, -jnp.inf))
        return jnp.where(jnp.isnan(log_p), jnp.nan, out)

    def score(self, x) -> jax.Array:
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()) -> jax.Array:
        (param,) = promote(self._param())
        shape = self._sample_shape(sample_shape)
        if self.probs is None:
            # P(L < logits) = sigmoid(logits) for standard logistic L: exact in the tails.
            draws = jax.random.logistic(key, shape, param.dtype) < param
            valid = ~jnp.isnan(param)
        else:
            valid = (param >= 0) & (param <= 1)
            draws = jax.random.bernoulli(key, jnp.where(valid, param, 0.5), shape)
        return jnp.where(valid, draws.astype(param.dtype), jnp.nan)  # invalid: NaN, never 0/1

    def entropy(self) -> jax.Array:
        r""":math:`H = -p\log p - (1-p)\log(1-p)`; from logits,
        :math:`\operatorname{softplus}(-|\ell|) + |\ell|\,\sigma(-|\ell|)`
        (0 at :math:`\ell = \pm\infty`)."""
        (param,) = promote(self._param())
        if self.probs is None:
            a = jnp.abs(param)
            finite = a < jnp.inf
            af = jnp.where(finite, a, 0.0)
            h = jnp.where(finite, log1pexp(-af) + af * jax.nn.sigmoid(-af), 0.0)
            h = jnp.where(jnp.isnan(param), jnp.nan, h)
        else:
            h = with_boundary_slope(_entropy_probs, _point_mass, param)
        return jnp.broadcast_to(h, self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`p`."""
        return self.probs_parameter()

    def variance(self) -> jax.Array:
        r""":math:`p (1 - p)`."""
        (param,) = promote(self._param())
        if self.probs is None:
            var = jax.nn.sigmoid(param) * jax.nn.sigmoid(-param)
        else:
            var = param * (1 - param)
        return jnp.broadcast_to(var, self.batch_shape)

    def mode(self) -> jax.Array:
        r""":math:`1` where :math:`p > 1/2`, else :math:`0`."""
        (param,) = promote(self._param())
        above = param > 0 if self.probs is None else param > 0.5
        return jnp.broadcast_to(above.astype(param.dtype), self.batch_shape)
