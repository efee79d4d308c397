r"""Optimal transport between Gaussians: the Bures–Wasserstein distance."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from gmath._numerics import matmul, promote
from gmath.densities import Distribution, Normal
from gmath.divergences._gaussian import is_gaussian
from gmath.divergences._params import check_distribution

__all__ = [
    "bures_trace",
    "sqrtm_psd",
    "wasserstein_gaussian",
    "wasserstein_gaussian_from_moments",
    "wasserstein_gaussian_squared",
    "wasserstein_gaussian_squared_from_moments",
]


def _sym(m):
    return 0.5 * (m + jnp.swapaxes(m, -1, -2))


def _eigh(s):
    lam, v = jnp.linalg.eigh(_sym(s))
    return jnp.maximum(lam, 0), v


def _rotate(v, m):
    """``V^T m V``."""
    return matmul(matmul(jnp.swapaxes(v, -1, -2), m), v)


@jax.custom_jvp
def sqrtm_psd(s) -> jax.Array:
    r"""Principal square root of a symmetric positive semidefinite matrix (eigenvalues clamped).

    Its JVP solves the Sylvester equation :math:`X\,dX + dX\,X = dS` in the eigenbasis,
    :math:`d\tilde X_{ij} = d\tilde S_{ij} / (\sqrt{\lambda_i} + \sqrt{\lambda_j})`: well defined
    for repeated eigenvalues (unlike differentiating ``eigh``), zero where both vanish.
    """
    lam, v = _eigh(s)
    return matmul(v * jnp.sqrt(lam)[..., None, :], jnp.swapaxes(v, -1, -2))


@sqrtm_psd.defjvp
def _sqrtm_psd_jvp(primals, tangents):
    (s,), (ds,) = primals, tangents
    lam, v = _eigh(s)
    r = jnp.sqrt(lam)
    out = matmul(v * r[..., None, :], jnp.swapaxes(v, -1, -2))
    denom = r[..., :, None] + r[..., None, :]
    safe = denom > 0
    dt = jnp.where(safe, _rotate(v, _sym(ds)) / jnp.where(safe, denom, 1), 0)
    return out, matmul(matmul(v, dt), jnp.swapaxes(v, -1, -2))


@jax.custom_jvp
def _trace_sqrtm_psd(m):
    lam, _ = _eigh(m)
    return jnp.sum(jnp.sqrt(lam), -1)


@_trace_sqrtm_psd.defjvp
def _trace_sqrtm_psd_jvp(primals, tangents):
    # d tr M^{1/2} = tr(M^{-1/2} dM) / 2 (zero along null directions).
    (m,), (dm,) = primals, tangents
    lam, v = _eigh(m)
    r = jnp.sqrt(lam)
    safe = r > 0
    diag = jnp.diagonal(_rotate(v, _sym(dm)), axis1=-2, axis2=-1)
    return jnp.sum(r, -1), jnp.sum(jnp.where(safe, diag / (2 * jnp.where(safe, r, 1)), 0), -1)


def bures_trace(s1, s2) -> jax.Array:
    r""":math:`\operatorname{tr}(S_1^{1/2} S_2 S_1^{1/2})^{1/2}` from a symmetric PSD product.

    The inner matrix is symmetrised and its eigenvalues clamped at zero, so the value is never
    complex or negative; gradients go through :func:`sqrtm_psd` and the trace of a matrix square
    root, both stable under repeated eigenvalues.
    """
    r = sqrtm_psd(s1)
    return _trace_sqrtm_psd(_sym(matmul(matmul(r, s2), r)))


def wasserstein_gaussian_squared_from_moments(mean1, cov1, mean2, cov2) -> jax.Array:
    r"""Squared 2-Wasserstein distance between :math:`\mathcal N(m_1, S_1)` and
    :math:`\mathcal N(m_2, S_2)`.

    .. math::
        W_2^2 = \|m_1 - m_2\|^2 + \operatorname{tr} S_1 + \operatorname{tr} S_2
        - 2\operatorname{tr}\bigl(S_1^{1/2} S_2 S_1^{1/2}\bigr)^{1/2}.

    Clamped at zero (rounding can otherwise leave a tiny negative value); exactly zero for
    identical moments.

    Args:
      mean1: ``[..., d]``. cov1: ``[..., d, d]`` symmetric PSD. mean2, cov2: likewise.

    Returns:
      ``[...]`` :math:`W_2^2`.

    References:
      Dowson and Landau (1982). The Fréchet distance between multivariate normal distributions.
      J. Multivar. Anal. [@dowson1982frechet]. Bhatia, Jain and Lim (2019). On the
      Bures–Wasserstein distance between positive definite matrices [@bhatia2019bures].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import wasserstein_gaussian_squared_from_moments
      >>> w = wasserstein_gaussian_squared_from_moments(jnp.zeros(2), jnp.eye(2), jnp.ones(2), 4 * jnp.eye(2))
      >>> round(float(w), 6)
      4.0
    """
    mean1, cov1, mean2, cov2 = promote(mean1, cov1, mean2, cov2)
    for name, m, c in (("1", mean1, cov1), ("2", mean2, cov2)):
        if m.ndim < 1 or c.ndim < 2 or c.shape[-1] != c.shape[-2] or c.shape[-1] != m.shape[-1]:
            raise ValueError(
                f"wasserstein_gaussian_squared_from_moments: mean{name} [..., d] and cov{name} [..., d, d] "
                f"do not match: shapes {m.shape} and {c.shape}."
            )
    if mean1.shape[-1] != mean2.shape[-1]:
        raise ValueError(
            "wasserstein_gaussian_squared_from_moments: dimensions differ, "
            f"{mean1.shape[-1]} and {mean2.shape[-1]}."
        )
    diff = mean1 - mean2
    tr = jnp.trace(cov1, axis1=-2, axis2=-1) + jnp.trace(cov2, axis1=-2, axis2=-1)
    value = jnp.sum(diff * diff, -1) + tr - 2 * bures_trace(cov1, cov2)
    # identical moments: exactly 0 (the trace terms cancel only up to the eigensolver's rounding,
    # of order u tr S, which would be the whole answer)
    same = jnp.all(mean1 == mean2, -1) & jnp.all(cov1 == cov2, (-2, -1))
    return jnp.where(same, 0, jnp.maximum(value, 0))


def _is_diag(p):
    return hasattr(p, "scale_diag")


def wasserstein_gaussian_squared(p: Distribution, q: Distribution) -> jax.Array:
    r"""Squared 2-Wasserstein distance between two normal distributions (Bures formula).

    .. math::
        W_2^2(p, q) = \|m_p - m_q\|^2 + \operatorname{tr}\bigl(S_p + S_q
        - 2 (S_p^{1/2} S_q S_p^{1/2})^{1/2}\bigr);

    univariate: :math:`(m_p - m_q)^2 + (s_p - s_q)^2`; diagonal: :math:`\|m_p - m_q\|^2 +
    \|s_p - s_q\|^2` (commuting covariances). Batches broadcast. Gradients are stable at equal and
    at repeated-eigenvalue covariances (see :func:`bures_trace`).

    Args:
      p: a ``gmath.densities`` ``Normal``, ``MultivariateNormal`` or ``MultivariateNormalDiag``.
      q: same family kind (univariate with univariate, multivariate with multivariate).

    Returns:
      :math:`W_2^2` with the broadcast batch shape.

    Raises:
      TypeError: when ``p`` or ``q`` is not a gmath distribution (another library's object).
      NotImplementedError: when ``p`` or ``q`` is a gmath family other than a normal.

    References:
      Dowson and Landau (1982) [@dowson1982frechet]; Givens and Shortt (1984). A class of
      Wasserstein metrics for probability distributions. Michigan Math. J.
      [@givens1984class].

    Examples:
      >>> from gmath.densities import Normal
      >>> from gmath.divergences import wasserstein_gaussian_squared
      >>> float(wasserstein_gaussian_squared(Normal(0.0, 1.0), Normal(3.0, 5.0)))
      25.0
    """
    for name, d in (("p", p), ("q", q)):
        check_distribution("wasserstein_gaussian_squared", d, name)
        if not isinstance(d, Normal) and not is_gaussian(d):
            raise NotImplementedError(
                f"wasserstein_gaussian_squared: {name} is a {type(d).__name__}; the Bures formula holds "
                "between normal laws only (Normal, MultivariateNormal, MultivariateNormalDiag, "
                "LowRankMultivariateNormal, Independent Normal). For other laws use "
                "gmath.divergences.sinkhorn_divergence or wasserstein_1d on samples."
            )
    ep, eq = tuple(p.event_shape), tuple(q.event_shape)
    if len(ep) != len(eq) or len(ep) > 1:
        raise ValueError(
            f"wasserstein_gaussian_squared: p and q must both be univariate or both multivariate normals, "
            f"got event shapes {ep} and {eq}."
        )
    if not ep:
        mp, mq = promote(p.mean(), q.mean())
        sp, sq = promote(p.stddev(), q.stddev())
        return (mp - mq) ** 2 + (sp - sq) ** 2
    if ep != eq:
        raise ValueError(f"wasserstein_gaussian_squared: dimensions differ, {ep} and {eq}.")
    if _is_diag(p) and _is_diag(q):
        mp, mq, sp, sq = promote(p.mean(), q.mean(), p.stddev(), q.stddev())
        return jnp.sum((mp - mq) ** 2 + (sp - sq) ** 2, -1)
    return wasserstein_gaussian_squared_from_moments(
        p.mean(), _covariance(p), q.mean(), _covariance(q)
    )


def _covariance(p):
    if _is_diag(p) or not hasattr(p, "covariance"):
        var = p.variance()
        return var[..., :, None] * jnp.eye(var.shape[-1], dtype=var.dtype)
    return p.covariance()


def wasserstein_gaussian(p: Distribution, q: Distribution) -> jax.Array:
    """Deprecated name of :func:`wasserstein_gaussian_squared` (which returns :math:`W_2^2`,
    the squared distance); emits ``DeprecationWarning``, to be removed in the next release."""
    warnings.warn(
        "gmath.divergences.wasserstein_gaussian is deprecated: use "
        "wasserstein_gaussian_squared (the same value, the squared distance W2^2).",
        DeprecationWarning,
        stacklevel=2,
    )
    return wasserstein_gaussian_squared(p, q)


def wasserstein_gaussian_from_moments(mean1, cov1, mean2, cov2) -> jax.Array:
    """Deprecated name of :func:`wasserstein_gaussian_squared_from_moments` (which returns
    :math:`W_2^2`); emits ``DeprecationWarning``, to be removed in the next release."""
    warnings.warn(
        "gmath.divergences.wasserstein_gaussian_from_moments is deprecated: use "
        "wasserstein_gaussian_squared_from_moments (the same value, the squared distance W2^2).",
        DeprecationWarning,
        stacklevel=2,
    )
    return wasserstein_gaussian_squared_from_moments(mean1, cov1, mean2, cov2)
