"""The categorical distribution."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import not_subnormal, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import check_logits_or_probs, is_integer, undefined_score

__all__ = ["Categorical"]


def _log_softmax(logits):
    r""":math:`\log\operatorname{softmax}(\ell)_i = (\ell_i - \ell_m)
    - \log(1 + \sum_{j \ne m} e^{\ell_j - \ell_m})` with :math:`m` the (first) largest logit.

    ``logits - logsumexp(logits)`` cancels at the dominant class, whose log-probability is
    close to 0: here it is ``-log1p(...)``, accurate to a few ulps (see
    ``scripts/accuracy_table.py``). The largest logit is not a stopped gradient: the formula is
    exact in :math:`\ell` (the :math:`j = m` term is the constant 1), so autodiff is exact; the
    largest entry's own shift is written as the constant 0, so that its derivative
    :math:`1 - \pi_m = \text{total}/(1 + \text{total})` does not come out of a cancelling
    :math:`1 - 1 + \dots` (which loses all digits of :math:`1 - \pi_m` below ``eps``).
    """
    k = logits.shape[-1]
    arg = jnp.argmax(logits, axis=-1, keepdims=True)
    top = jnp.take_along_axis(logits, arg, axis=-1)
    finite = jnp.isfinite(top)
    others = jnp.arange(k) != arg
    # the largest entry's shift is the constant 0, not l_m - l_m: its derivative then comes from
    # log1p(total) alone, total / (1 + total) = 1 - pi_m without cancellation
    shifted = jnp.where(others, logits - jnp.where(finite, top, 0.0), 0.0)
    total = jnp.sum(jnp.where(others, jnp.exp(jnp.where(others, shifted, 0.0)), 0.0), axis=-1)
    out = shifted - jnp.log1p(total)[..., None]
    return jnp.where(finite, out, jax.nn.log_softmax(logits, axis=-1))


def _entropy_from_log_probs(lp):
    p = jnp.exp(lp)
    safe = jnp.where(p > 0, lp, 0.0)  # zero-probability categories: 0 log 0 = 0, no NaN grad
    return -jnp.sum(p * safe, axis=-1)


def _log_normalised(probs):
    # log of a subnormal probability is -inf, as XLA flushes subnormal operands to zero
    pos = probs >= jnp.finfo(probs.dtype).tiny
    log_probs = jnp.where(pos, jnp.log(jnp.where(pos, probs, 1.0)), -jnp.inf)
    lp = log_probs - jnp.log(jnp.sum(probs, axis=-1, keepdims=True))
    return jnp.where(jnp.all(probs >= 0, axis=-1, keepdims=True), lp, jnp.nan)


@jax.custom_jvp
def _entropy_from_probs(probs):
    r""":math:`H = -\sum_k r_k \log r_k`, :math:`r = \pi / \sum_j \pi_j`, with the derivative
    :math:`\partial H / \partial\pi_i = (-\log r_i - H) / \sum_j \pi_j`, which is
    :math:`+\infty` for a category of probability 0 (autodiff of the masked sum gives a finite,
    wrong number there)."""
    return _entropy_from_log_probs(_log_normalised(probs))


@_entropy_from_probs.defjvp
def _entropy_from_probs_jvp(primals, tangents):
    (probs,), (t,) = primals, tangents
    lp = _log_normalised(probs)
    h = _entropy_from_log_probs(lp)
    total = jnp.sum(probs, axis=-1, keepdims=True)
    zero = probs == 0
    slope = jnp.where(zero, jnp.inf, -jnp.where(zero, 0.0, lp) - h[..., None]) / total
    return h, jnp.sum(t * slope, axis=-1)


@distribution
class Categorical(Distribution):
    r"""Categorical distribution over :math:`\{0, \dots, K - 1\}`.

    .. math::
        P(X = k) = \pi_k = \frac{e^{\ell_k}}{\sum_j e^{\ell_j}},
        \qquad \log p(k) = \ell_k - \operatorname{logsumexp}(\ell),
        \qquad H = -\sum_k \pi_k \log \pi_k.

    Pass exactly one of ``logits`` (:math:`\ell`, unnormalised log-probabilities) or ``probs``
    (:math:`\pi`); both are pytree fields, the one not given is ``None``. The category axis is the
    **last** axis of ``logits``/``probs``: a parameter of shape ``batch_shape + (K,)`` gives
    ``event_shape == ()`` and ``num_categories == K``. ``probs`` are normalised by their sum
    (rounding in user-supplied simplex points is harmless); negative ``probs``, and ``probs``
    whose sum is not 1 to ``1e3 K`` ulps, are invalid. ``logits`` may hold ``-inf`` (a category
    of probability 0) but not ``+inf``, NaN, or ``-inf`` throughout. Invalid parameters give NaN
    from every floating method and raise under ``gmath.config.checks(True)``; ``sample`` and
    ``mode``, whose ``int32`` output has no NaN, give the index ``-1`` (outside the support, as a
    missing category code) for them.

    A category of probability 0 has ``log_prob`` ``-inf`` with gradient 0 (as a point outside
    the support); the gradient of the other categories' ``log_prob`` with respect to its
    ``probs`` entry is finite: :math:`\partial \log(\pi_k / \sum_j \pi_j) / \partial\pi_i
    = -1/\sum_j\pi_j`; the entropy's is :math:`+\infty` (that of :math:`-\pi_i\log\pi_i`).

    ``log_prob`` accepts integer or integer-valued floating ``x`` (category indices) with shape
    broadcasting against ``batch_shape``; it is ``-inf`` for non-integers and indices outside
    :math:`[0, K)`. ``sample`` and ``mode`` return ``int32`` indices; ``mean`` and ``variance``
    are those of the index, :math:`\sum_k k\pi_k` and :math:`\sum_k (k - \mu)^2\pi_k`.
    ``score`` raises ``TypeError``: :math:`\nabla_x \log p(x)` is undefined for a discrete ``x``.

    Args:
      logits: ``batch_shape + (K,)`` unnormalised log-probabilities (``-inf`` allowed).
      probs: ``batch_shape + (K,)`` nonnegative probabilities summing to 1.

    References:
      Johnson, Kemp and Kotz (2005). Univariate Discrete Distributions, 3rd ed.
      [@johnson2005univariate]. Sampling by the Gumbel-max trick, Gumbel (1954), through
      :func:`jax.random.categorical`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import Categorical
      >>> p = Categorical(probs=jnp.array([0.2, 0.3, 0.5]))
      >>> round(float(p.log_prob(2)), 6)
      -0.693147
      >>> p.num_categories, round(float(p.entropy()), 6)
      (3, 1.029653)
    """

    logits: Any = None
    probs: Any = None

    _param_event_ndims = {"logits": 1, "probs": 1}

    def __post_init__(self) -> None:
        check_logits_or_probs(self)
        super().__post_init__()

    def _constraints(self):
        if self.probs is not None:
            probs = jnp.asarray(self.probs)
            k = probs.shape[-1]
            tol = 1e3 * k * jnp.finfo(promote(probs)[0].dtype).eps
            return [
                ((probs >= 0) & not_subnormal(probs), "probs must be nonnegative (not subnormal)."),
                (
                    jnp.abs(jnp.sum(probs, -1) - 1) <= tol,
                    "probs must sum to 1 along the last axis.",
                ),
            ]
        logits = jnp.asarray(self.logits)
        return [
            (~jnp.isnan(logits), "logits must not be NaN."),
            (logits < jnp.inf, "logits must be below +inf."),
            (jnp.any(logits > -jnp.inf, axis=-1), "logits must not all be -inf."),
        ]

    def _invalid(self, lp):
        """Boolean, ``batch_shape``: the members whose parameters violate a constraint."""
        invalid = jnp.any(jnp.isnan(lp), axis=-1)
        batch_ndim = lp.ndim - 1
        for ok, _ in self._constraints():
            ok = jnp.asarray(ok)
            if ok.ndim > batch_ndim:
                ok = jnp.all(ok, axis=-1)
            invalid = invalid | ~ok
        return jnp.broadcast_to(invalid, lp.shape[:-1])

    @property
    def num_categories(self) -> int:
        """Number of categories :math:`K` (the size of the last axis of logits/probs)."""
        return jnp.shape(self.logits if self.probs is None else self.probs)[-1]

    def _log_probs(self):
        """Normalised log-probabilities, shape ``batch_shape + (K,)``: ``-inf`` for a zero
        probability with a zero gradient (the argument of ``log`` sanitised first), NaN for
        invalid parameters."""
        if self.probs is None:
            (logits,) = promote(self.logits)
            return _log_softmax(logits)
        (probs,) = promote(self.probs)
        return _log_normalised(probs)

    def logits_parameter(self) -> jax.Array:
        r"""Normalised log-probabilities :math:`\log\pi_k`, shape ``batch_shape + (K,)``."""
        lp = self._log_probs()
        return jnp.broadcast_to(lp, tuple(self.batch_shape) + lp.shape[-1:])

    def probs_parameter(self) -> jax.Array:
        r"""Probabilities :math:`\pi_k`, shape ``batch_shape + (K,)``."""
        if self.probs is None:
            (logits,) = promote(self.logits)
            probs = jax.nn.softmax(logits, axis=-1)
        else:
            (probs,) = promote(self.probs)
            probs = probs / jnp.sum(probs, axis=-1, keepdims=True)
        return jnp.broadcast_to(probs, tuple(self.batch_shape) + probs.shape[-1:])

    def log_prob(self, x) -> jax.Array:
        x = self._check_value(x)
        lp = self._log_probs()
        k = lp.shape[-1]
        if jnp.issubdtype(x.dtype, jnp.inexact):
            valid = is_integer(x) & (x >= 0) & (x <= k - 1)
        else:
            x = x.astype(jnp.int32) if x.dtype == jnp.bool_ else x
            valid = (x >= 0) & (x <= k - 1)
        index = jnp.where(valid, x, 0).astype(jnp.int32)
        shape = jnp.broadcast_shapes(index.shape, tuple(self.batch_shape))
        table = jnp.broadcast_to(lp, shape + (k,))
        index = jnp.broadcast_to(index, shape)
        out = jnp.take_along_axis(table, index[..., None], axis=-1)[..., 0]
        if self.probs is not None:  # a zero probability: -inf with gradient 0, like off-support
            out = jnp.where(out > -jnp.inf, out, -jnp.inf)
        return jnp.where(valid, out, -jnp.inf)

    def score(self, x) -> jax.Array:
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        lp = self._log_probs()
        invalid = self._invalid(lp)
        draws = jax.random.categorical(
            key, jnp.where(invalid[..., None], 0.0, lp), axis=-1, shape=shape
        )
        return jnp.where(invalid, -1, draws).astype(jnp.int32)  # int32 has no NaN: -1

    def entropy(self) -> jax.Array:
        r""":math:`H = -\sum_k \pi_k \log \pi_k` (terms with :math:`\pi_k = 0` are 0), exact."""
        if self.probs is not None:
            (probs,) = promote(self.probs)
            return jnp.broadcast_to(_entropy_from_probs(probs), self.batch_shape)
        return jnp.broadcast_to(_entropy_from_log_probs(self._log_probs()), self.batch_shape)

    def _index_moments(self):
        p = self.probs_parameter()
        k = jnp.arange(p.shape[-1], dtype=p.dtype)
        mean = jnp.sum(k * p, axis=-1)
        var = jnp.sum((k - mean[..., None]) ** 2 * p, axis=-1)
        return mean, var

    def mean(self) -> jax.Array:
        r"""Mean index :math:`\sum_k k\,\pi_k`."""
        return self._index_moments()[0]

    def variance(self) -> jax.Array:
        r"""Variance of the index :math:`\sum_k (k - \mu)^2 \pi_k`."""
        return self._index_moments()[1]

    def mode(self) -> jax.Array:
        r"""Most probable category :math:`\arg\max_k \pi_k` (the first on ties), ``int32``."""
        lp = self._log_probs()
        mode = jnp.where(self._invalid(lp), -1, jnp.argmax(lp, axis=-1))
        return jnp.broadcast_to(mode.astype(jnp.int32), self.batch_shape)
