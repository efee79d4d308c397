"""The geometric distribution (number of failures before the first success)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1pexp, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import (
    SuccessProbability,
    check_logits_or_probs,
    is_integer,
    promote_value,
    undefined_score,
)

__all__ = ["Geometric"]


def _log_p_q(param, from_logits: bool):
    """``(log p, log(1 - p))``; NaN for probs outside (0, 1]."""
    if from_logits:
        return -log1pexp(-param), -log1pexp(param)
    valid = (param > 0) & (param <= 1)
    return (
        jnp.where(valid, jnp.log(param), jnp.nan),
        jnp.where(valid, jnp.log1p(-param), jnp.nan),
    )


@jax.jit
def _log_prob(x, log_p, log_q):
    valid = is_integer(x) & (x >= 0)
    xs = jnp.where(valid, x, 0.0)
    out = jnp.where(xs == 0, log_p, xs * log_q + log_p)  # k = 0 exact even when p = 1
    return jnp.where(valid | jnp.isnan(log_p), out, -jnp.inf)


@distribution
class Geometric(SuccessProbability, Distribution):
    r"""Geometric distribution: the number of **failures before the first success** in
    Bernoulli(:math:`p`) trials, supported on :math:`\{0, 1, 2, \dots\}` (as numpyro, TFP and
    ``scipy.stats.nbinom(1, p)``; ``scipy.stats.geom`` counts trials instead, ``k + 1``).

    .. math::
        \log p(k) = k\log(1 - p) + \log p, \qquad
        \mathbb E[X] = \frac{1 - p}{p}, \qquad \operatorname{Var}[X] = \frac{1 - p}{p^2},
        \qquad H = \frac{-(1 - p)\log(1 - p) - p\log p}{p}.

    Pass exactly one of ``logits`` (:math:`\ell = \log p - \log(1 - p)`) or ``probs``
    (:math:`p \in (0, 1]`); both are pytree fields, the one not given is ``None``. From logits the
    moments are :math:`e^{-\ell}` and :math:`e^{-\ell} + e^{-2\ell}`, exactly.
    :meth:`logits_parameter` and :meth:`probs_parameter` give either, computed stably.

    ``log_prob`` accepts integer or integer-valued floating ``x`` and is ``-inf`` for negative or
    non-integer ``x``. The mode is 0. ``sample`` draws :math:`\lfloor E / (-\log(1 - p))\rfloor`
    with :math:`E \sim \operatorname{Exp}(1)` (inversion) and returns integer values in the
    parameter's floating dtype. ``score`` raises ``TypeError``: :math:`\nabla_x \log p(x)` is
    undefined for a discrete ``x``.

    Args:
      logits: log-odds of success, any shape.
      probs: success probability :math:`p \in (0, 1]`, any shape.

    References:
      Johnson, Kemp and Kotz (2005). Univariate Discrete Distributions, 3rd ed., ch. 5
      [@johnson2005univariate].

    Examples:
      >>> from gmath.densities import Geometric
      >>> p = Geometric(probs=0.25)
      >>> round(float(p.log_prob(1)), 6)  # log(0.75 * 0.25)
      -1.673976
      >>> round(float(p.mean()), 6), round(float(p.entropy()), 6)
      (3.0, 2.249340)
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
            return [((probs > 0) & (probs <= 1), "probs must lie in (0, 1].")]
        return [(~jnp.isnan(jnp.asarray(self.logits)), "logits must not be NaN.")]

    def _param(self):
        return self.logits if self.probs is None else self.probs

    def log_prob(self, x):
        param, x = promote_value(self._check_value(x), self._param())
        return _log_prob(x, *_log_p_q(param, self.probs is None))

    def score(self, x):
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()):
        (param,) = promote(self._param())
        _, log_q = _log_p_q(param, self.probs is None)
        e = jax.random.exponential(key, self._sample_shape(sample_shape), param.dtype)
        return jnp.floor(e / -log_q)

    def entropy(self):
        r""":math:`(-(1 - p)\log(1 - p) - p\log p) / p`."""
        (param,) = promote(self._param())
        log_p, log_q = _log_p_q(param, self.probs is None)
        p, q = jnp.exp(log_p), jnp.exp(log_q)  # each accurate: no 1 - p cancellation
        h = -(jnp.where(q > 0, q * log_q, 0.0) + p * log_p) / p
        return jnp.broadcast_to(h, self.batch_shape)

    def mean(self):
        r""":math:`(1 - p)/p` (:math:`e^{-\ell}` from logits)."""
        (param,) = promote(self._param())
        mean = jnp.exp(-param) if self.probs is None else (1 - param) / param
        return jnp.broadcast_to(mean, self.batch_shape)

    def variance(self):
        r""":math:`(1 - p)/p^2` (:math:`e^{-\ell} + e^{-2\ell}` from logits)."""
        (param,) = promote(self._param())
        if self.probs is None:
            e = jnp.exp(-param)
            var = e + e * e
        else:
            var = (1 - param) / (param * param)
        return jnp.broadcast_to(var, self.batch_shape)

    def mode(self):
        """0."""
        (param,) = promote(self._param())
        return jnp.zeros(self.batch_shape, param.dtype)
