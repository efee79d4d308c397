r"""Closed-form diffusion oracles: Gaussian and Gaussian-mixture data under any noise schedule.

Data :math:`\mathcal N(m, S)` diffused by :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon` has the
marginal :math:`\mathcal N(\alpha_t m, C_t)`, :math:`C_t = \alpha_t^2 S + \sigma_t^2 I`; a mixture
:math:`\sum_k w_k\mathcal N(m_k, S_k)` diffuses component-wise. From these follow the exact score,
the optimal (Tweedie) denoiser, the probability-flow map (Gaussian), the exact log-likelihood
and the minimum denoising loss (Gaussian). Each score is checked in gmath's tests against
``jax.grad`` of the oracle's own log-density, and each denoiser against Tweedie's formula.

All functions take plain arrays: ``mean [d]``, ``cov [d, d]`` (mixtures: ``weights [K]``,
``means [K, d]``, ``covs [K, d, d]``), points ``x [..., d]`` and a scalar time ``t``; they are
pure JAX (jit/vmap/grad-able) and promote their inputs to a common float dtype.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from gmath._numerics import HIGHEST, promote

_einsum = functools.partial(jnp.einsum, precision=HIGHEST)

__all__ = [
    "gaussian_diffusion_log_prob",
    "gaussian_diffusion_marginal",
    "gaussian_diffusion_score",
    "gaussian_flow_map",
    "gaussian_minimum_denoising_loss",
    "gaussian_optimal_denoiser",
    "mixture_diffusion_log_prob",
    "mixture_diffusion_score",
    "mixture_optimal_denoiser",
]


def _check_gaussian(owner, mean, cov, x=None):
    if mean.ndim != 1 or cov.shape != mean.shape * 2:
        raise ValueError(
            f"{owner}: need mean [d] and cov [d, d], got shapes {mean.shape} and {cov.shape}."
        )
    if x is not None and (x.ndim < 1 or x.shape[-1] != mean.shape[0]):
        raise ValueError(f"{owner}: x with shape {x.shape} does not end in d = {mean.shape[0]}.")


def _check_mixture(owner, weights, means, covs, x=None):
    k, d = means.shape if means.ndim == 2 else (None, None)
    if k is None or weights.shape != (k,) or covs.shape != (k, d, d):
        raise ValueError(
            f"{owner}: need weights [K], means [K, d], covs [K, d, d], got shapes "
            f"{weights.shape}, {means.shape}, {covs.shape}."
        )
    if x is not None and (x.ndim < 1 or x.shape[-1] != d):
        raise ValueError(f"{owner}: x with shape {x.shape} does not end in d = {d}.")


def _coefficients(schedule, t, dtype):
    t = jnp.asarray(t, dtype)
    return schedule.alpha(t), schedule.sigma(t)


def _mvn_log_prob(x, mean, cov):
    d = mean.shape[-1]
    chol = jnp.linalg.cholesky(cov)
    z = solve_triangular(chol, (x - mean)[..., None], lower=True)[..., 0]
    half_log_det = jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * jnp.sum(z * z, axis=-1) - half_log_det - 0.5 * d * math.log(2 * math.pi)


def _solve_spd(cov, v):
    return jax.scipy.linalg.cho_solve((jnp.linalg.cholesky(cov), True), v[..., None])[..., 0]


def gaussian_diffusion_marginal(mean, cov, t, *, schedule) -> tuple[jax.Array, jax.Array]:
    r"""Mean :math:`\alpha_t m` and covariance :math:`C_t = \alpha_t^2 S + \sigma_t^2 I` of :math:`p_t`.

    Args:
      mean: data mean :math:`m`, shape ``[d]``.
      cov: data covariance :math:`S`, shape ``[d, d]``.
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      ``(mean_t [d], cov_t [d, d])``.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR, eq. 29 (Gaussian transition kernels) [@song2021scoresde].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import ve
      >>> m, c = gaussian_diffusion_marginal(jnp.zeros(1), jnp.eye(1), 1.0, schedule=ve(0.01, 50.0))
      >>> round(float(c[0, 0]), 2)  # S + sigma_max^2 - sigma_min^2
      2501.0
    """
    mean, cov = promote(mean, cov)
    _check_gaussian("gaussian_diffusion_marginal", mean, cov)
    alpha, sigma = _coefficients(schedule, t, mean.dtype)
    eye = jnp.eye(mean.shape[0], dtype=mean.dtype)
    return alpha * mean, alpha * alpha * cov + sigma * sigma * eye


def gaussian_diffusion_log_prob(x, mean, cov, t, *, schedule) -> jax.Array:
    r"""Exact :math:`\log p_t(x) = \log\mathcal N(x; \alpha_t m, \alpha_t^2 S + \sigma_t^2 I)`.

    Args:
      x: points, shape ``[..., d]``.
      mean, cov: data mean ``[d]`` and covariance ``[d, d]``.
      t: scalar time (``t = 0`` gives the data log-density).
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      Array of shape ``[...]``.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR, eq. 29 (Gaussian transition kernels) [@song2021scoresde].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> v = gaussian_diffusion_log_prob(jnp.zeros(2), jnp.zeros(2), jnp.eye(2), 0.7,
      ...                                 schedule=vp_linear())
      >>> round(float(v), 6)  # standard normal is invariant under VP diffusion
      -1.837877
    """
    x, mean, cov = promote(x, mean, cov)
    _check_gaussian("gaussian_diffusion_log_prob", mean, cov, x)
    mean_t, cov_t = gaussian_diffusion_marginal(mean, cov, t, schedule=schedule)
    return _mvn_log_prob(x, mean_t, cov_t)


def gaussian_diffusion_score(x, mean, cov, t, *, schedule) -> jax.Array:
    r"""Exact score :math:`\nabla\log p_t(x) = -C_t^{-1}(x - \alpha_t m)`.

    Args:
      x: points ``[..., d]``.
      mean, cov: data mean ``[d]`` and covariance ``[d, d]``.
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      Array shaped like ``x``.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR, eq. 29 (Gaussian transition kernels) [@song2021scoresde].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import edm
      >>> s = gaussian_diffusion_score(jnp.ones(1), jnp.zeros(1), jnp.eye(1), 1.0, schedule=edm())
      >>> float(s[0])
      -0.5
    """
    x, mean, cov = promote(x, mean, cov)
    _check_gaussian("gaussian_diffusion_score", mean, cov, x)
    mean_t, cov_t = gaussian_diffusion_marginal(mean, cov, t, schedule=schedule)
    return -_solve_spd(cov_t, x - mean_t)


def gaussian_optimal_denoiser(x, mean, cov, t, *, schedule) -> jax.Array:
    r"""Optimal denoiser :math:`D^*(x_t) = E[x_0\mid x_t] = m + \alpha S C_t^{-1}(x_t - \alpha m)`.

    Args:
      x: noisy points ``[..., d]``.
      mean, cov: data mean ``[d]`` and covariance ``[d, d]``.
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      Array shaped like ``x``.

    References:
      Efron (2011). Tweedie's formula and selection bias. JASA [@efron2011tweedie].
      Karras et al. (2022). Elucidating the design space of diffusion-based generative models.
      NeurIPS, App. B.3 (ideal denoiser) [@karras2022edm].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import edm
      >>> float(gaussian_optimal_denoiser(jnp.ones(1), jnp.zeros(1), jnp.eye(1), 1.0,
      ...                                 schedule=edm())[0])
      0.5
    """
    x, mean, cov = promote(x, mean, cov)
    _check_gaussian("gaussian_optimal_denoiser", mean, cov, x)
    alpha, _ = _coefficients(schedule, t, mean.dtype)
    mean_t, cov_t = gaussian_diffusion_marginal(mean, cov, t, schedule=schedule)
    return mean + alpha * _einsum("ij,...j->...i", cov, _solve_spd(cov_t, x - mean_t))


def gaussian_flow_map(x, mean, cov, s, t, *, schedule) -> jax.Array:
    r"""Probability-flow ODE map from time ``s`` to time ``t`` for Gaussian data (exact, linear).

    .. math::
        x_t = \alpha_t m + C_t^{1/2} C_s^{-1/2}(x_s - \alpha_s m),

    all :math:`C` sharing the eigenvectors of :math:`S`. Also gives the exact log-likelihood
    change :math:`\log p_s(x_s) = \log p_t(x_t) + \tfrac12\sum_i\log(C_{t,i}/C_{s,i})`.

    Args:
      x: points at time ``s``, shape ``[..., d]``.
      mean, cov: data mean ``[d]`` and covariance ``[d, d]``.
      s, t: scalar start and end times.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      The points at time ``t``, shaped like ``x``.

    References:
      Song et al. (2021). Score-based generative modeling through SDEs. ICLR, sec. 4.3
      (probability-flow ODE) [@song2021scoresde].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import edm
      >>> float(gaussian_flow_map(jnp.ones(1), jnp.zeros(1), jnp.eye(1), 0.0, 3.0,
      ...                         schedule=edm())[0] ** 2)
      10.0
    """
    x, mean, cov = promote(x, mean, cov)
    _check_gaussian("gaussian_flow_map", mean, cov, x)
    eigvals, q = jnp.linalg.eigh(cov)
    a_s, s_s = _coefficients(schedule, s, mean.dtype)
    a_t, s_t = _coefficients(schedule, t, mean.dtype)
    ratio = jnp.sqrt((a_t * a_t * eigvals + s_t * s_t) / (a_s * a_s * eigvals + s_s * s_s))
    centred = _einsum("ji,...j->...i", q, x - a_s * mean)
    return a_t * mean + _einsum("ij,...j->...i", q, ratio * centred)


def gaussian_minimum_denoising_loss(cov, t, *, schedule, prediction: str = "eps") -> jax.Array:
    r"""Minimum expected squared error of a denoiser at time ``t`` for Gaussian data.

    For ``"eps"``: :math:`E\|\varepsilon - E[\varepsilon\mid x_t]\|^2 =
    \sum_i \frac{\mathrm{SNR}\,l_i}{\mathrm{SNR}\,l_i + 1}` over the eigenvalues :math:`l_i` of
    :math:`S`; for ``"x0"``: :math:`\sum_i \frac{l_i}{\mathrm{SNR}\,l_i + 1}` (the first divided
    by SNR).

    Args:
      cov: data covariance ``[d, d]``.
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.
      prediction: ``"eps"`` or ``"x0"``.

    Returns:
      Scalar array.

    References:
      Kingma, Salimans, Poole, Ho (2021). Variational diffusion models. NeurIPS
      [@kingma2021vdm]. Vincent (2011). A connection between score matching and denoising
      autoencoders. Neural Computation [@vincent2011].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import edm
      >>> float(gaussian_minimum_denoising_loss(jnp.eye(2), 1.0, schedule=edm()))
      1.0
    """
    if prediction not in ("eps", "x0"):
        raise ValueError(f"gaussian_minimum_denoising_loss: prediction {prediction!r} not eps/x0.")
    (cov,) = promote(cov)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"gaussian_minimum_denoising_loss: cov must be [d, d], got {cov.shape}.")
    eigvals = jnp.linalg.eigvalsh(cov)
    snr = schedule.snr(jnp.asarray(t, cov.dtype))
    if prediction == "eps":
        return jnp.sum(snr * eigvals / (snr * eigvals + 1))
    return jnp.sum(eigvals / (snr * eigvals + 1))


def _mixture_terms(x, weights, means, covs, t, schedule):
    alpha, sigma = _coefficients(schedule, t, means.dtype)
    eye = jnp.eye(means.shape[-1], dtype=means.dtype)
    means_t = alpha * means
    covs_t = alpha * alpha * covs + sigma * sigma * eye
    xk = x[..., None, :]  # [..., 1, d] against [K, d]
    log_comp = _mvn_log_prob(xk, means_t, covs_t)  # [..., K]
    log_joint = jnp.log(weights) + log_comp
    return alpha, means_t, covs_t, log_joint


def mixture_diffusion_log_prob(x, weights, means, covs, t, *, schedule) -> jax.Array:
    r"""Exact :math:`\log p_t(x)` of diffused mixture data :math:`\sum_k w_k\mathcal N(m_k, S_k)`.

    Each component becomes :math:`\mathcal N(\alpha_t m_k, \alpha_t^2 S_k + \sigma_t^2 I)`.

    Args:
      x: points ``[..., d]``.
      weights: mixture weights ``[K]`` (summing to 1).
      means: component means ``[K, d]``.
      covs: component covariances ``[K, d, d]``.
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      Array of shape ``[...]``.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR, eq. 29 (Gaussian transition kernels) [@song2021scoresde].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> v = mixture_diffusion_log_prob(jnp.zeros(1), jnp.array([0.5, 0.5]), jnp.zeros((2, 1)),
      ...                                jnp.ones((2, 1, 1)), 0.4, schedule=vp_linear())
      >>> round(float(v), 6)
      -0.918939
    """
    x, weights, means, covs = promote(x, weights, means, covs)
    _check_mixture("mixture_diffusion_log_prob", weights, means, covs, x)
    _, _, _, log_joint = _mixture_terms(x, weights, means, covs, t, schedule)
    return jax.scipy.special.logsumexp(log_joint, axis=-1)


def mixture_diffusion_score(x, weights, means, covs, t, *, schedule) -> jax.Array:
    r"""Exact mixture score :math:`\sum_k r_k(x)\,(-C_{t,k}^{-1}(x - \alpha_t m_k))`.

    :math:`r = \operatorname{softmax}_k(\log w_k + \log\mathcal N_k(x))` are the responsibilities.

    Args:
      x: points ``[..., d]``.
      weights, means, covs: the mixture (``[K]``, ``[K, d]``, ``[K, d, d]``).
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      Array shaped like ``x``.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR, eq. 29 (Gaussian transition kernels) [@song2021scoresde].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import edm
      >>> s = mixture_diffusion_score(jnp.ones(1), jnp.array([0.3, 0.7]), jnp.zeros((2, 1)),
      ...                             jnp.ones((2, 1, 1)), 1.0, schedule=edm())
      >>> float(s[0])
      -0.5
    """
    x, weights, means, covs = promote(x, weights, means, covs)
    _check_mixture("mixture_diffusion_score", weights, means, covs, x)
    _, means_t, covs_t, log_joint = _mixture_terms(x, weights, means, covs, t, schedule)
    resp = jax.nn.softmax(log_joint, axis=-1)
    comp_scores = -_solve_spd(covs_t, x[..., None, :] - means_t)  # [..., K, d]
    return jnp.sum(resp[..., None] * comp_scores, axis=-2)


def mixture_optimal_denoiser(x, weights, means, covs, t, *, schedule) -> jax.Array:
    r"""Optimal denoiser for mixture data: :math:`\sum_k r_k(x)\,D_k^*(x)`.

    :math:`D_k^*(x) = m_k + \alpha_t S_k C_{t,k}^{-1}(x - \alpha_t m_k)` is the Gaussian denoiser
    of component :math:`k`; the result equals Tweedie's formula with
    :func:`mixture_diffusion_score`.

    Args:
      x: noisy points ``[..., d]``.
      weights, means, covs: the mixture (``[K]``, ``[K, d]``, ``[K, d, d]``).
      t: scalar time.
      schedule: a :class:`gmath.scores.NoiseSchedule`.

    Returns:
      Array shaped like ``x``.

    References:
      Efron (2011). Tweedie's formula and selection bias. JASA [@efron2011tweedie].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import edm
      >>> d = mixture_optimal_denoiser(jnp.ones(1), jnp.array([0.3, 0.7]), jnp.zeros((2, 1)),
      ...                              jnp.ones((2, 1, 1)), 1.0, schedule=edm())
      >>> float(d[0])
      0.5
    """
    x, weights, means, covs = promote(x, weights, means, covs)
    _check_mixture("mixture_optimal_denoiser", weights, means, covs, x)
    alpha, means_t, covs_t, log_joint = _mixture_terms(x, weights, means, covs, t, schedule)
    resp = jax.nn.softmax(log_joint, axis=-1)
    solved = _solve_spd(covs_t, x[..., None, :] - means_t)
    comp = means + alpha * _einsum("kij,...kj->...ki", covs, solved)
    return jnp.sum(resp[..., None] * comp, axis=-2)
