"""The Bernoulli distribution."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1pexp, promote, xlog1py, xlogy
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import (
    SuccessProbability,
    check_logits_or_probs,
    promote_value,
    undefined_score,
)

__all__ = ["Bernoulli"]


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
            return [((probs >= 0) & (probs <= 1), "probs must lie in [0, 1].")]
        return [(~jnp.isnan(jnp.asarray(self.logits)), "logits must not be NaN.")]

    def _param(self):
        return self.logits if self.probs is None else self.probs

    def _log_p_q(self, param):
        """``(log p, log(1 - p))`` from the promoted parameter."""
        if self.probs is None:
            return -log1pexp(-param), -log1pexp(param)
        valid = (param >= 0) & (param <= 1)  # NaN (not a finite value) for invalid probs
        nan = jnp.nan
        return jnp.where(valid, jnp.log(param), nan), jnp.where(valid, jnp.log1p(-param), nan)

    def log_prob(self, x):
        param, x = promote_value(self._check_value(x), self._param())
        log_p, log_q = self._log_p_q(param)
        return jnp.where(x == 1, log_p, jnp.where(x == 0, log_q, -jnp.inf))

    def score(self, x):
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()):
        (param,) = promote(self._param())
        shape = self._sample_shape(sample_shape)
        if self.probs is None:
            # P(L < logits) = sigmoid(logits) for standard logistic L: exact in the tails.
            draws = jax.random.logistic(key, shape, param.dtype) < param
        else:
            draws = jax.random.bernoulli(key, param, shape)
        return draws.astype(param.dtype)

    def entropy(self):
        r""":math:`H = -p\log p - (1-p)\log(1-p)`; from logits,
        :math:`p\,\operatorname{softplus}(-\ell) + (1-p)\operatorname{softplus}(\ell)`."""
        (param,) = promote(self._param())
        if self.probs is None:
            h = jax.nn.sigmoid(param) * log1pexp(-param) + jax.nn.sigmoid(-param) * log1pexp(param)
        else:
            h = -xlogy(param, param) - xlog1py(1 - param, -param)
        return jnp.broadcast_to(h, self.batch_shape)

    def mean(self):
        r""":math:`p`."""
        return self.probs_parameter()

    def variance(self):
        r""":math:`p (1 - p)`."""
        (param,) = promote(self._param())
        if self.probs is None:
            var = jax.nn.sigmoid(param) * jax.nn.sigmoid(-param)
        else:
            var = param * (1 - param)
        return jnp.broadcast_to(var, self.batch_shape)

    def mode(self):
        r""":math:`1` where :math:`p > 1/2`, else :math:`0`."""
        (param,) = promote(self._param())
        above = param > 0 if self.probs is None else param > 0.5
        return jnp.broadcast_to(above.astype(param.dtype), self.batch_shape)
