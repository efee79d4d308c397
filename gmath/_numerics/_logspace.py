"""Log-space arithmetic: log1mexp, log-add/sub-exp and weighted, signed logsumexp."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy import special as jsp

__all__ = ["log1mexp", "log1pexp", "logaddexp", "logsubexp", "logsumexp"]

_LOG_HALF = -0.6931471805599453


def log1mexp(x):
    r"""Compute :math:`\log(1 - e^{x})` for :math:`x \le 0` without cancellation.

    Uses ``log(-expm1(x))`` for :math:`x > -\log 2` and ``log1p(-exp(x))`` below, the split of
    Mächler (2012), accurate to a few ulps everywhere. On :math:`[\log\tfrac14, \log\tfrac12]`
    it takes ``log(1 - exp(x))`` instead (:math:`1 - e^x \in [\tfrac12, \tfrac34]` is one
    rounding there): XLA's float64 ``log1p`` on CPU is up to 120 ulps off for arguments in
    :math:`[-0.415, -0.354]`. Returns ``-inf`` at 0 and NaN for x > 0.

    References:
      Mächler, M. (2012). Accurately computing log(1 - exp(-|a|)). CRAN Rmpfr vignette.

    Examples:
      >>> import jax.numpy as jnp
      >>> float(log1mexp(jnp.log(0.25)))  # log(0.75)
      -0.2876820724517809
    """
    x = jnp.asarray(x)
    small = x > _LOG_HALF
    mid = ~small & (x >= 2 * _LOG_HALF)
    x_small = jnp.where(small, x, _LOG_HALF)
    x_mid = jnp.where(mid, x, _LOG_HALF)
    x_large = jnp.where(small | mid, 3 * _LOG_HALF, x)
    return jnp.where(
        small,
        jnp.log(-jnp.expm1(x_small)),
        jnp.where(mid, jnp.log(1.0 - jnp.exp(x_mid)), jnp.log1p(-jnp.exp(x_large))),
    )


def log1pexp(x):
    r"""Compute :math:`\log(1 + e^{x})` (softplus), exact for large :math:`|x|`.

    Examples:
      >>> float(log1pexp(800.0))
      800.0
    """
    return jnp.logaddexp(jnp.asarray(x), 0.0)


def logaddexp(a, b):
    r"""Compute :math:`\log(e^a + e^b)`, safe when both are ``-inf``."""
    return jnp.logaddexp(a, b)


def logsubexp(a, b):
    r"""Compute :math:`\log(e^a - e^b)` for :math:`a \ge b`; ``-inf`` when a = b.

    Examples:
      >>> import math
      >>> round(float(logsubexp(math.log(3.0), math.log(1.0))), 12) == round(math.log(2.0), 12)
      True
    """
    a = jnp.asarray(a)
    b = jnp.asarray(b)
    diff = jnp.where(jnp.isneginf(b), -jnp.inf, b - a)
    return jnp.where(jnp.isneginf(a) & jnp.isneginf(b), -jnp.inf, a + log1mexp(diff))


def logsumexp(a, axis=None, *, b=None, keepdims=False, return_sign=False):
    r"""Weighted, optionally signed :math:`\log \sum_i b_i e^{a_i}`.

    A thin, documented front to :func:`jax.scipy.special.logsumexp` (which is stable and handles
    ``-inf`` rows). With ``return_sign=True`` negative weights are allowed and the pair
    ``(log|s|, sign(s))`` is returned.

    Examples:
      >>> import jax.numpy as jnp
      >>> value, sign = logsumexp(jnp.array([0.0, 0.0]), b=jnp.array([1.0, -3.0]), return_sign=True)
      >>> float(jnp.exp(value) * sign)
      -2.0
    """
    return jsp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
