"""Finite mixtures whose components are one batched distribution of any family."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._estimate import Estimate, mean_and_stderr
from gmath._numerics import invert_cdf, is_array_like, log1mexp, logsumexp, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._categorical import Categorical

__all__ = ["MixtureSameFamily"]

_LOG_HALF = -0.6931471805599453


@distribution
class MixtureSameFamily(Distribution):
    r"""Mixture :math:`p(x) = \sum_{k=1}^K w_k\, p_k(x)` of the components of one batched record.

    .. math::
        \log p(x) = \operatorname{logsumexp}_k\big(\log w_k + \log p_k(x)\big),
        \qquad w = \operatorname{softmax}(\text{mixture\_logits}),

        \nabla_x \log p(x) = \sum_k r_k(x)\, \nabla_x \log p_k(x),
        \qquad r_k(x) = \operatorname{softmax}_k\big(\log w_k + \log p_k(x)\big),

        \mathbb E[X] = \sum_k w_k \mu_k, \qquad
        \operatorname{Var}[X] = \sum_k w_k \sigma_k^2 + \sum_k w_k (\mu_k - \mathbb E[X])^2

    (laws of total expectation and total variance, per coordinate). Works over any family: it
    uses only the components' public methods (``log_prob``, ``score``, ``sample``, ``mean``,
    ``variance``, and for univariate components ``cdf``, ``log_cdf``, ``log_survival``,
    ``icdf``). Sampling draws a component index from the categorical law :math:`w` and gathers
    that component's draw (not reparameterisable in :math:`w`).

    The entropy of a mixture has no closed form: :meth:`entropy` raises and
    :meth:`entropy_estimate` gives a Monte Carlo estimate with its standard error. There is no
    closed-form mode either.

    Args:
      mixture_logits: unnormalised log-weights, shape ``batch + (K,)``; ``-inf`` removes a
        component. A :class:`~gmath.densities.Categorical` record (given by ``logits`` or
        ``probs``) is accepted too, as the mixing distribution; it is stored as its normalised
        log-probabilities.
      components: a distribution record whose ``batch_shape`` ends with the ``K`` components,
        ``batch' + (K,)``; ``batch`` and ``batch'`` broadcast.

    ``event_shape`` is the components' ``event_shape``.

    References:
      McLachlan, G. and Peel, D. (2000). Finite Mixture Models. Wiley [@mclachlan2000finite].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import MixtureSameFamily, Normal
      >>> p = MixtureSameFamily(jnp.log(jnp.array([0.3, 0.7])), Normal(jnp.array([-1.0, 2.0]), 1.0))
      >>> round(float(p.mean()), 5)
      1.1
      >>> round(float(p.variance()), 5)
      2.89
      >>> round(float(p.cdf(2.0)), 4)
      0.6496
    """

    mixture_logits: Any
    components: Any

    _param_event_ndims = {"mixture_logits": 1}

    def __post_init__(self) -> None:
        mixing = self.mixture_logits
        if isinstance(mixing, Categorical):
            # the mixing law as a Categorical record (as numpyro and TFP take it): its
            # normalised log-probabilities, NaN for a member with invalid parameters
            if not all(map(is_array_like, jax.tree_util.tree_leaves(mixing))):
                return  # a pytree skeleton
            lp = mixing._log_probs()
            lp = jnp.where(mixing._invalid(lp)[..., None], jnp.nan, lp)
            object.__setattr__(self, "mixture_logits", lp)
        elif isinstance(mixing, Distribution):
            raise TypeError(
                "MixtureSameFamily: the mixing distribution must be a Categorical (or an array "
                f"of mixture logits), got {type(mixing).__name__}."
            )
        if not isinstance(self.components, Distribution):
            raise TypeError(
                "MixtureSameFamily: components must be a distribution record, got "
                f"{type(self.components).__name__}."
            )
        if not all(map(is_array_like, jax.tree_util.tree_leaves(self))):
            return  # a pytree skeleton: nothing to validate
        super().__post_init__()

    # ------------------------------------------------------------------ shapes
    @property
    def num_components(self) -> int:
        """Number of components :math:`K`."""
        return tuple(self.components.batch_shape)[-1]

    @property
    def event_shape(self) -> tuple[int, ...]:
        return tuple(self.components.event_shape)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        cb = tuple(self.components.batch_shape)
        ls = tuple(jnp.shape(self.mixture_logits))
        if not cb:
            raise ValueError(
                "MixtureSameFamily: components needs a batch dimension of the K components, got "
                "batch_shape ()."
            )
        if not ls or ls[-1] != cb[-1]:
            raise ValueError(
                f"MixtureSameFamily: mixture_logits with shape {ls} must end with the "
                f"{cb[-1]} components of components' batch_shape {cb}."
            )
        try:
            return tuple(jnp.broadcast_shapes(ls[:-1], cb[:-1]))
        except ValueError:
            raise ValueError(
                f"MixtureSameFamily: mixture_logits with shape {ls} and components with "
                f"batch_shape {cb} do not broadcast (batch {ls[:-1]} against {cb[:-1]})."
            ) from None

    def _constraints(self):
        logits = jnp.asarray(self.mixture_logits)
        return [
            (
                ~jnp.any(jnp.isnan(logits), -1) & jnp.any(logits > -jnp.inf, -1),
                "mixture_logits must not be NaN and must leave some component.",
            )
        ]

    def _valid(self):
        """Valid mixture weights and every component valid (NaN from every method otherwise)."""
        own = super()._valid()
        parts = self.components._valid()
        if parts is None:
            return own
        parts = jnp.all(jnp.broadcast_to(parts, tuple(self.components.batch_shape)), -1)
        return parts if own is None else own & parts

    # ------------------------------------------------------------------ helpers
    def _log_weights(self):
        (logits,) = promote(self.mixture_logits)
        return jax.nn.log_softmax(logits, axis=-1)

    def _expand(self, x):
        """Insert the component axis before the event dimensions of ``x``."""
        return jnp.expand_dims(x, x.ndim - len(self.event_shape))

    def _component_log_probs(self, x, method):
        """``(log w_k + log p_k(x), x)`` with the component axis last: ``S + batch + (K,)``."""
        x = self._check_value(x, method)
        lw, lp = promote(self._log_weights(), self.components.log_prob(self._expand(x)))
        return lw + lp, x

    def _weights_for(self, value):
        """``w`` broadcastable against a per-component ``batch' + (K,) + event`` value."""
        w, value = promote(jax.nn.softmax(self._log_weights(), axis=-1), value)
        return w.reshape(w.shape + (1,) * len(self.event_shape)), value

    def _univariate(self, method):
        if self.event_shape != ():
            raise NotImplementedError(
                f"MixtureSameFamily.{method} is defined for univariate components only "
                f"(event_shape is {self.event_shape})."
            )

    # ------------------------------------------------------------------ densities
    def log_prob(self, x) -> jax.Array:
        joint, _ = self._component_log_probs(x, "log_prob")
        return logsumexp(joint, axis=-1)

    def responsibilities(self, x) -> jax.Array:
        r"""Posterior component probabilities :math:`r_k(x)`, shape ``S + batch + (K,)``.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array of shape ``sample_shape + batch_shape + (K,)``, summing to 1 over the last axis.
        """
        joint, _ = self._component_log_probs(x, "responsibilities")
        total = logsumexp(joint, axis=-1, keepdims=True)
        log_r = jnp.where(jnp.isneginf(total), -jnp.inf, joint - total)
        return jnp.exp(log_r)

    def score(self, x) -> jax.Array:
        r""":math:`\sum_k r_k(x)\,\nabla_x\log p_k(x)` (responsibility-weighted component scores).

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array with the shape of ``x`` broadcast against ``batch_shape + event_shape``.
        """
        r = self.responsibilities(x)
        x = jnp.asarray(x)
        scores = self.components.score(self._expand(x))
        r, scores = promote(r.reshape(r.shape + (1,) * len(self.event_shape)), scores)
        terms = jnp.where(r > 0, r * scores, 0.0)
        return jnp.sum(terms, axis=-1 - len(self.event_shape))

    def cdf(self, x) -> jax.Array:
        r""":math:`F(x) = \sum_k w_k F_k(x)` (univariate components).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        self._univariate("cdf")
        x = self._check_value(x, "cdf")
        w, cdfs = self._weights_for(self.components.cdf(self._expand(x)))
        return jnp.sum(w * cdfs, -1)

    def _log_cdf_and_survival(self, x, method):
        self._univariate(method)
        x = self._check_value(x, method)
        xk = self._expand(x)
        lw, lc, ls = promote(
            self._log_weights(), self.components.log_cdf(xk), self.components.log_survival(xk)
        )
        return logsumexp(lw + lc, axis=-1), logsumexp(lw + ls, axis=-1)

    @staticmethod
    def _complement(log_p, log_q):
        """``log p``, or ``log(1 - q)`` where ``q < 1/2`` (exact near ``p = 1``), double-where."""
        use_q = log_q < _LOG_HALF
        return jnp.where(use_q, log1mexp(jnp.where(use_q, log_q, _LOG_HALF)), log_p)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log F(x) = \operatorname{logsumexp}_k(\log w_k + \log F_k(x))` (univariate).

        Where :math:`F(x) > 1/2` it is :math:`\log(1 - \sum_k w_k (1 - F_k(x)))` by
        ``log1mexp`` of the log-survival, which keeps full relative accuracy as
        :math:`\log F \to 0`.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        lc, ls = self._log_cdf_and_survival(x, "log_cdf")
        return self._complement(lc, ls)

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(1 - F(x))`: ``logsumexp`` of the components' log-survival functions, or
        ``log1mexp`` of :meth:`log_cdf` where :math:`F(x) < 1/2` (univariate).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        lc, ls = self._log_cdf_and_survival(x, "log_survival")
        return self._complement(ls, lc)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`F^{-1}(u)` by safeguarded Newton on the bracket
        :math:`[\min_k F_k^{-1}(u), \max_k F_k^{-1}(u)]` (univariate components).

        The bracket is exact: :math:`F \le u` at its left end and :math:`F \ge u` at its right.
        Differentiable through the implicit function theorem,
        :math:`\partial x / \partial\theta = -\partial_\theta F(x) / p(x)`.

        Args:
          u: probabilities in :math:`[0, 1]`, shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        self._univariate("icdf")
        u = self._check_value(u, "icdf")
        quantiles = self.components.icdf(self._expand(u))
        u, _ = promote(u, quantiles)
        lo, hi = jnp.min(quantiles, -1), jnp.max(quantiles, -1)
        shape = jnp.broadcast_shapes(u.shape, self.batch_shape)
        u_b = jnp.broadcast_to(u, shape)
        finite = jnp.isfinite(lo) & jnp.isfinite(hi)
        safe_lo = jax.lax.stop_gradient(jnp.where(finite, lo, 0.0))
        safe_hi = jax.lax.stop_gradient(jnp.where(finite, hi, 0.0))
        x = invert_cdf(self.cdf, self.prob, jax.lax.stop_gradient(u_b), safe_lo, safe_hi)
        # one implicit-function Newton step: the value stays x, the derivatives become exact
        density = jax.lax.stop_gradient(self.prob(x))
        x = x - (self.cdf(x) - u_b) / jnp.where(density > 0, density, 1.0)
        return jnp.where(finite, x, jnp.where(u_b <= 0.5, lo, hi))

    # ------------------------------------------------------------------ sampling
    def sample(self, key, sample_shape=()) -> jax.Array:
        r"""Draw :math:`k \sim \operatorname{Categorical}(w)`, then :math:`x \sim p_k`.

        Args:
          key: a ``jax.random`` key.
          sample_shape: leading shape of independent draws (an int or a tuple).

        Returns:
          Array of shape ``sample_shape + batch_shape + event_shape``, dtype of the parameters.
        """
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        s = tuple(sample_shape)
        batch, event = self.batch_shape, self.event_shape
        cb = tuple(self.components.batch_shape)[:-1]
        k = self.num_components
        key_components, key_choice = jax.random.split(key)
        # Components shared across a broadcast batch dimension are drawn once per batch element
        # (extra sample dimensions interleaved with the components' own batch dimensions).
        cb_padded = (1,) * (len(batch) - len(cb)) + cb
        extra = tuple(b if c == 1 else 1 for b, c in zip(batch, cb_padded, strict=True))
        draws = self.components.sample(key_components, s + extra)
        draws = draws.reshape(s + extra + cb_padded + (k,) + event)
        ns, nb = len(s), len(batch)
        order = (
            list(range(ns))
            + [axis for i in range(nb) for axis in (ns + i, ns + nb + i)]
            + list(range(ns + 2 * nb, draws.ndim))
        )
        draws = draws.transpose(order).reshape(s + batch + (k,) + event)
        index = jax.random.categorical(key_choice, self._log_weights(), axis=-1, shape=s + batch)
        index = index.reshape(s + batch + (1,) + (1,) * len(event))
        return jnp.take_along_axis(draws, index, axis=ns + nb).reshape(s + batch + event)

    # ------------------------------------------------------------------ moments
    def mean(self) -> jax.Array:
        r""":math:`\sum_k w_k \mu_k`, shape ``batch + event``.

        Returns:
          Array of shape ``batch_shape + event_shape``.
        """
        w, means = self._weights_for(self.components.mean())
        out = jnp.sum(w * means, axis=-1 - len(self.event_shape))
        return jnp.broadcast_to(out, self.batch_shape + self.event_shape)

    def variance(self) -> jax.Array:
        r""":math:`\sum_k w_k \sigma_k^2 + \sum_k w_k (\mu_k - \mathbb E X)^2`, per coordinate.

        Returns:
          Array of shape ``batch_shape + event_shape``.
        """
        axis = -1 - len(self.event_shape)
        w, means = self._weights_for(self.components.mean())
        _, variances = self._weights_for(self.components.variance())
        means, variances = promote(means, variances)
        mean = jnp.expand_dims(jnp.sum(w * means, axis=axis), axis)
        spread = (means - mean) ** 2
        out = jnp.sum(w * (variances + spread), axis=axis)
        return jnp.broadcast_to(out, self.batch_shape + self.event_shape)

    def covariance(self) -> jax.Array:
        r""":math:`\sum_k w_k \big(\Sigma_k + (\mu_k - \mu)(\mu_k - \mu)^\top\big)` (vector events,
        components with a ``covariance`` method).

        Returns:
          Array of shape ``batch_shape + (d, d)``.
        """
        if len(self.event_shape) != 1:
            raise NotImplementedError("MixtureSameFamily.covariance needs a vector event_shape.")
        w, means = self._weights_for(self.components.mean())
        mean = jnp.sum(w * means, axis=-2, keepdims=True)
        centred = means - mean
        w, covs = promote(w[..., None], self.components.covariance())
        outer = centred[..., :, None] * centred[..., None, :]
        out = jnp.sum(w * (covs + outer), axis=-3)
        return jnp.broadcast_to(out, self.batch_shape + self.event_shape * 2)

    def mode(self) -> jax.Array:
        """Not available: a mixture's mode has no closed form (and need not be unique).

        Raises:
          NotImplementedError: always.
        """
        raise NotImplementedError(
            "MixtureSameFamily.mode has no closed form; maximise log_prob numerically."
        )

    def entropy(self) -> jax.Array:
        r"""Not available in closed form: use :meth:`entropy_estimate`.

        :math:`H = -\int p\log p` has no closed form for a mixture; it is bracketed by
        :math:`\sum_k w_k H_k \le H \le \sum_k w_k H_k + H(w)` (Huber et al. 2008)
        [@huber2008entropy].

        Raises:
          NotImplementedError: always.
        """
        raise NotImplementedError(
            "MixtureSameFamily.entropy has no closed form; use "
            "entropy_estimate(key, num_samples), a Monte Carlo estimate with its standard error."
        )

    def entropy_estimate(self, key, num_samples: int) -> Estimate:
        r"""Monte Carlo entropy :math:`H \approx -\frac1n \sum_{i=1}^n \log p(x_i)`,
        :math:`x_i \sim p`.

        Unbiased, with standard error :math:`s/\sqrt n` where :math:`s` is the sample standard
        deviation of :math:`\log p(x_i)`. The value is differentiable, but its gradient in the
        mixture weights is biased (the component choice is not reparameterised).

        Args:
          key: a ``jax.random`` key.
          num_samples: the number of draws :math:`n \ge 2` (static).

        Returns:
          ``Estimate(value, stderr)``, each of shape ``batch_shape``.

        Examples:
          >>> import jax
          >>> from gmath.densities import MixtureSameFamily, Normal
          >>> p = MixtureSameFamily(jnp.zeros(2), Normal(jnp.zeros(2), 1.0))  # N(0, 1)
          >>> est = p.entropy_estimate(jax.random.key(0), 10_000)
          >>> bool(abs(est.value - 1.4189385) < 4 * est.stderr)
          True
        """
        if not isinstance(num_samples, int) or num_samples < 2:
            raise ValueError(
                f"entropy_estimate: num_samples must be an int >= 2, got {num_samples}."
            )
        return mean_and_stderr(-self.log_prob(self.sample(key, (num_samples,))))

    def __repr__(self) -> str:
        return (
            f"MixtureSameFamily(mixture_logits=<{tuple(jnp.shape(self.mixture_logits))}>, "
            f"components={self.components!r})"
        )
