r"""Monte Carlo estimators of KL and Jensen–Shannon divergences from samples of the records."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gmath._estimate import Estimate, mean_and_stderr
from gmath._jit import cached
from gmath._numerics import check_key
from gmath.densities import Distribution
from gmath.divergences._params import check_pair

__all__ = ["jensen_shannon_estimate", "kl_estimate"]

_ESTIMATORS = ("k1", "k2", "k3")
_GRADIENTS = ("pathwise", "score", "stop")


@cached(static_argnums=(3,), static_argnames=("num_samples", "estimator", "gradient"))
def kl_estimate(
    key: jax.Array,
    p: Distribution,
    q: Distribution,
    num_samples: int,
    *,
    estimator: str = "k3",
    gradient: str = "pathwise",
) -> Estimate:
    r"""Monte Carlo estimate of :math:`KL(p \| q)` from ``num_samples`` draws of ``p``.

    With :math:`x_i \sim p` and :math:`\log r = \log q(x) - \log p(x)` (Schulman 2020):

    .. math::
        k_1 = -\log r, \qquad k_2 = \tfrac12(\log r)^2, \qquad
        k_3 = (r - 1) - \log r = \operatorname{expm1}(\log r) - \log r.

    :math:`E[k_1] = E[k_3] = KL(p\|q)` (unbiased); :math:`k_3 \ge 0` pointwise and usually has
    a much lower variance than :math:`k_1`; :math:`k_2` is biased (its mean is
    :math:`KL + O(\text{third moment of}\log r)`) with low variance when p is close to q.

    **Gradients** (with respect to the parameters of p and q), chosen by ``gradient``:

    - ``"pathwise"`` (default): differentiate through ``p.sample`` (reparameterised draws of the
      continuous families). Unbiased for ``k1`` and ``k3``, since their mean equals the KL for
      every parameter value. Discrete families have no pathwise derivative: use ``"score"``.
    - ``"score"``: draws are held fixed and the score-function (REINFORCE) term is added
      through a surrogate :math:`\bar k + \overline{\mathrm{sg}(k)(\log p - \mathrm{sg}(\log p))}`
      whose value is the estimate itself; unbiased for ``k1`` and ``k3``, for any family.
    - ``"stop"``: draws are held fixed and nothing is added, as when a KL penalty is computed
      on samples drawn from a policy. **Pitfall**: this is not a gradient of
      :math:`KL(p \| q)`. For ``k3``, :math:`E_p[\nabla_\theta k_3] = E_p[(1 - r)\nabla_\theta
      \log p_\theta] = \nabla_\theta KL(q \| p_\theta)`: the gradient of the *reverse* KL. For
      ``k1`` the mean gradient with respect to p is :math:`E_p[\nabla\log p_\theta] = 0`.

    Args:
      key: PRNG key.
      p, q: distribution records (``p`` must have ``sample``; both ``log_prob``).
      num_samples: number of draws (``>= 2`` for a finite ``stderr``; NaN with one draw).
      estimator: ``"k1"``, ``"k2"`` or ``"k3"``.
      gradient: ``"pathwise"``, ``"score"`` or ``"stop"`` (see above).

    Returns:
      ``Estimate(value, stderr)``, each of shape ``broadcast(p.batch_shape, q.batch_shape)``;
      ``stderr`` is the sample standard deviation of the terms over :math:`\sqrt n`.

    References:
      Schulman, J. (2020). Approximating KL divergence. Blog post [@schulman2020kl];
      Mohamed, Rosca, Figurnov and Mnih (2020). Monte Carlo gradient estimation in machine
      learning. JMLR 21 [@mohamed2020monte].

    Examples:
      >>> import jax
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> est = gv.kl_estimate(jax.random.key(0), Normal(0.0, 1.0), Normal(0.0, 1.0), 1000)
      >>> float(est.value), float(est.stderr)
      (0.0, 0.0)
    """
    check_key(key, where="kl_estimate")
    check_pair("kl_estimate", p, q)
    if estimator not in _ESTIMATORS:
        raise ValueError(f"kl_estimate: estimator must be one of {_ESTIMATORS}, got {estimator!r}")
    if gradient not in _GRADIENTS:
        raise ValueError(f"kl_estimate: gradient must be one of {_GRADIENTS}, got {gradient!r}")
    num_samples = int(num_samples)
    if num_samples < 1:
        raise ValueError(f"kl_estimate: num_samples must be positive, got {num_samples}")
    x = p.sample(key, (num_samples,))
    if gradient != "pathwise":
        x = jax.lax.stop_gradient(x)
    log_p = p.log_prob(x)
    log_r = q.log_prob(x) - log_p
    if estimator == "k1":
        terms = -log_r
    elif estimator == "k2":
        terms = 0.5 * log_r * log_r
    else:
        terms = jnp.expm1(log_r) - log_r
    est = mean_and_stderr(terms)
    if gradient == "score":
        surrogate = jax.lax.stop_gradient(terms) * (log_p - jax.lax.stop_gradient(log_p))
        est = Estimate(est.value + jnp.mean(surrogate, 0), est.stderr)
    return est


@cached(static_argnums=(3,), static_argnames=("num_samples",))
def jensen_shannon_estimate(
    key: jax.Array, p: Distribution, q: Distribution, num_samples: int
) -> Estimate:
    r"""Monte Carlo Jensen–Shannon divergence from ``num_samples`` draws of each of p and q.

    .. math::
        JS(p, q) = \tfrac12 E_p\left[\log\frac{2p}{p + q}\right]
                 + \tfrac12 E_q\left[\log\frac{2q}{p + q}\right], \qquad 0 \le JS \le \log 2,

    with :math:`\log\frac{2p}{p + q} = \log 2 - \operatorname{softplus}(\log q - \log p)`
    (stable for any log-ratio). Every term is at most :math:`\log 2`; the estimate is unbiased
    and its ``stderr`` combines the two independent halves. Useful for mixtures, where no
    closed form exists.

    Args:
      key: PRNG key (split for the two halves).
      p, q: distribution records with ``sample`` and ``log_prob``.
      num_samples: draws from each.

    Returns:
      ``Estimate(value, stderr)`` of shape ``broadcast(p.batch_shape, q.batch_shape)``.

    References:
      Lin, J. (1991). Divergence measures based on the Shannon entropy [@lin1991divergence].

    Examples:
      >>> import jax
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> est = gv.jensen_shannon_estimate(jax.random.key(0), Normal(0.0, 1.0), Normal(0.0, 1.0), 100)
      >>> round(float(est.value), 12)
      0.0
    """
    check_key(key, where="jensen_shannon_estimate")
    check_pair("jensen_shannon_estimate", p, q)
    num_samples = int(num_samples)
    if num_samples < 1:
        raise ValueError(
            f"jensen_shannon_estimate: num_samples must be positive, got {num_samples}"
        )
    kp, kq = jax.random.split(key)
    x = p.sample(kp, (num_samples,))
    y = q.sample(kq, (num_samples,))
    log2 = math.log(2.0)
    tp = log2 - jax.nn.softplus(q.log_prob(x) - p.log_prob(x))
    tq = log2 - jax.nn.softplus(p.log_prob(y) - q.log_prob(y))
    ep, eq = mean_and_stderr(tp), mean_and_stderr(tq)
    return Estimate(0.5 * (ep.value + eq.value), 0.5 * jnp.sqrt(ep.stderr**2 + eq.stderr**2))
