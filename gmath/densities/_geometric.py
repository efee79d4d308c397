"""The geometric distribution (number of failures before the first success)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import finite_positive, log1pexp, promote
from gmath._numerics._discrete_numerics import with_boundary_slope
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
    """``(log p, log(1 - p))``; NaN for probs outside (0, 1] and for logits NaN or ``-inf``.

    ``log(1 - p)`` is ``-inf`` at ``p = 1`` (logits ``+inf``) with a zero gradient: the argument
    of ``log1p`` is sanitised first, so that no ``0 * inf`` reaches the gradient.
    """
    if from_logits:
        valid = param > -jnp.inf  # p = 0 (logits -inf) is no distribution
        return (
            jnp.where(valid, -log1pexp(-param), jnp.nan),
            jnp.where(valid, -log1pexp(param), jnp.nan),
        )
    valid = (param > 0) & (param <= 1)
    below_one = param < 1
    log_q = jnp.where(below_one, jnp.log1p(-jnp.where(below_one, param, 0.0)), -jnp.inf)
    return (
        jnp.where(valid, jnp.log(jnp.where(valid, param, 1.0)), jnp.nan),
        jnp.where(valid, log_q, jnp.nan),
    )


@jax.jit
def _log_prob(x, log_p, log_q):
    valid = is_integer(x) & (x >= 0)
    xs = jnp.where(valid, x, 0.0)
    has_q = log_q > -jnp.inf  # p < 1
    lq_s = jnp.where(has_q, log_q, 0.0)
    tail = jnp.where(has_q, xs * lq_s + log_p, -jnp.inf)  # p = 1: no mass beyond 0
    out = jnp.where(xs == 0, log_p, tail)  # k = 0 exact even when p = 1
    return jnp.where(valid | jnp.isnan(log_p), out, -jnp.inf)


def _q_over_p_log_q(param, from_logits: bool):
    r""":math:`\frac{1 - p}{p}\log(1 - p)`, finite for every valid parameter: from logits
    :math:`-e^{-\ell}\operatorname{softplus}(\ell)`, which is :math:`-\log(1 + t)/t` with
    :math:`t = e^{\ell}` for :math:`\ell < 0` (tending to :math:`-1` as :math:`\ell \to -\infty`,
    where :math:`e^{-\ell}` overflows) and tends to 0 as :math:`\ell \to +\infty`."""
    if from_logits:
        neg = param < 0
        t = jnp.exp(jnp.where(neg, param, 0.0))
        ts = jnp.where(t > 0, t, 1.0)
        below = jnp.where(t > 0, -jnp.log1p(ts) / ts, -1.0)
        finite = param < jnp.inf
        lp = jnp.where(neg | ~finite, 1.0, param)
        above = jnp.where(finite, -jnp.exp(-lp) * log1pexp(lp), 0.0)
        return jnp.where(neg, below, above)
    below_one = param < 1
    ps = jnp.where(below_one, param, 0.5)
    return jnp.where(below_one, (1 - ps) * jnp.log1p(-ps) / ps, 0.0)


def _entropy_logits(param):
    log_p, _ = _log_p_q(param, True)
    return -log_p - _q_over_p_log_q(param, True)


def _entropy_probs(param):
    log_p, _ = _log_p_q(param, False)
    return -log_p - _q_over_p_log_q(param, False)


def _point_mass(p):
    mask = p == 1
    return mask, -jnp.inf, jnp.where(mask, 0.5, p)


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

    **Edges.** :math:`p = 1` (``logits`` :math:`+\infty`) is the point mass at 0: ``log_prob(0)``
    is 0 with :math:`\partial_p \log p(0) = 1`, the entropy, mean and variance 0, and
    :math:`\partial_p H = \log(1 - p)/p^2 = -\infty`. As
    :math:`\ell \to -\infty` the entropy is :math:`-\ell + 1 + O(e^{\ell})` and the moments
    overflow to ``inf`` (from :math:`\ell \approx -709` in float64); :math:`p = 0`
    (``logits`` :math:`-\infty`) is no distribution and, like ``probs`` outside :math:`(0, 1]`
    or NaN ``logits``, gives NaN from every method. A ``-inf`` log-mass has gradient 0.

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
            return [
                (finite_positive(probs) & (probs <= 1), "probs must lie in (0, 1] (not subnormal).")
            ]
        return [(jnp.asarray(self.logits) > -jnp.inf, "logits must not be NaN or -inf (p = 0).")]

    def _param(self):
        return self.logits if self.probs is None else self.probs

    def log_prob(self, x) -> jax.Array:
        param, x = promote_value(self._check_value(x), self._param())
        return _log_prob(x, *_log_p_q(param, self.probs is None))

    def score(self, x) -> jax.Array:
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()) -> jax.Array:
        (param,) = promote(self._param())
        _, log_q = _log_p_q(param, self.probs is None)
        e = jax.random.exponential(key, self._sample_shape(sample_shape), param.dtype)
        return jnp.floor(e / -log_q)

    def entropy(self) -> jax.Array:
        r""":math:`H = -\log p - \frac{1 - p}{p}\log(1 - p)` (:math:`\operatorname{softplus}(-\ell)
        + e^{-\ell}\operatorname{softplus}(\ell)` from logits, each term finite at every
        parameter: :math:`H \approx -\ell + 1` as :math:`\ell \to -\infty`)."""
        (param,) = promote(self._param())
        if self.probs is None:
            h = _entropy_logits(param)
        else:  # dH/dp = log(1 - p) / p^2: -inf at p = 1
            h = with_boundary_slope(_entropy_probs, _point_mass, param)
        return jnp.broadcast_to(h, self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`(1 - p)/p` (:math:`e^{-\ell}` from logits)."""
        (param,) = promote(self._param())
        if self.probs is None:
            mean = jnp.where(param > -jnp.inf, jnp.exp(-param), jnp.nan)
        else:
            mean = jnp.where((param > 0) & (param <= 1), (1 - param) / param, jnp.nan)
        return jnp.broadcast_to(mean, self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`(1 - p)/p^2` (:math:`e^{-\ell} + e^{-2\ell}` from logits)."""
        (param,) = promote(self._param())
        if self.probs is None:
            e = jnp.exp(-param)
            var = jnp.where(param > -jnp.inf, e + e * e, jnp.nan)
        else:
            valid = (param > 0) & (param <= 1)
            var = jnp.where(valid, (1 - param) / (param * param), jnp.nan)
        return jnp.broadcast_to(var, self.batch_shape)

    def mode(self) -> jax.Array:
        """0."""
        (param,) = promote(self._param())
        return jnp.zeros(self.batch_shape, param.dtype)
