"""The multivariate normal with a diagonal-plus-low-rank covariance."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from gmath._numerics import finite_positive, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._finite_loc import loc_is_finite, loc_mask
from gmath.densities._multivariate_normal import _batch_shape, _matvec, _mT, _tril_inverse

__all__ = ["LowRankMultivariateNormal"]

_LOG_2PI = math.log(2 * math.pi)
_HIGHEST = jax.lax.Precision.HIGHEST


@distribution
class LowRankMultivariateNormal(Distribution):
    r"""Multivariate normal :math:`\mathcal N(\mu, W W^\top + D)` with :math:`D` diagonal.

    With :math:`W \in \mathbb R^{d\times r}`, :math:`D = \operatorname{diag}(\delta)`, the whitened
    factor :math:`A = D^{-1/2} W`, :math:`u = D^{-1/2}(x - \mu)` and the :math:`r\times r`
    capacitance :math:`C = I + A^\top A = L_C L_C^\top`,

    .. math::
        \log\det\Sigma = \sum_i \log\delta_i + 2\sum_j \log (L_C)_{jj}
        \quad\text{(matrix determinant lemma)},

        (x - \mu)^\top\Sigma^{-1}(x - \mu) = \lVert F^{-1} u\rVert^2, \qquad
        F^{-1} u = u - A (I + L_C^\top)^{-1} L_C^{-1} A^\top u,

    where :math:`F = I + A (I + L_C)^{-1} A^\top` is a square root of :math:`I + A A^\top`
    (:math:`F F^\top = I + A A^\top`; its inverse follows from the Woodbury identity). Everything
    costs :math:`O(d r^2)` once and :math:`O(d r)` per point; no :math:`d\times d` matrix is
    formed. Compared with the textbook Woodbury form
    :math:`\lVert u\rVert^2 - \lVert L_C^{-1}A^\top u\rVert^2`, which cancels catastrophically
    when :math:`x - \mu` lies along a direction of large variance (relative error
    :math:`\approx \varepsilon\,\sigma_{\max}^2(A)`), the square-root form loses at most
    :math:`\approx \varepsilon\,\sigma_{\max}(A)`, like a dense Cholesky whitening, and stays smooth
    at :math:`W = 0`.

    Args:
      loc: mean :math:`\mu`, shape ``batch + (d,)``, every coordinate finite.
      cov_factor: :math:`W`, shape ``batch + (d, r)``.
      cov_diag: :math:`\delta > 0`, shape ``batch + (d,)``.

    ``event_shape`` is ``(d,)``.

    References:
      Woodbury, M. A. (1950). Inverting modified matrices. Memorandum report 42, Statistical
      Research Group, Princeton [@woodbury1950inverting].
      Harville, D. A. (1997). Matrix Algebra From a Statistician's Perspective, sec. 18.1
      (determinant lemma). Springer [@harville1997matrix].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import LowRankMultivariateNormal
      >>> p = LowRankMultivariateNormal(jnp.zeros(2), jnp.array([[1.0], [1.0]]), jnp.ones(2))
      >>> [round(float(v), 5) for v in p.covariance().ravel()]
      [2.0, 1.0, 1.0, 2.0]
      >>> round(float(p.log_prob(jnp.array([1.0, -1.0]))), 5)
      -3.38718
    """

    loc: Any
    cov_factor: Any
    cov_diag: Any

    _param_event_ndims = {"loc": 1, "cov_factor": 2, "cov_diag": 1}
    _event_ndims = 1

    @property
    def event_shape(self) -> tuple[int, ...]:
        loc_s = tuple(jnp.shape(self.loc))
        w_s = tuple(jnp.shape(self.cov_factor))
        d_s = tuple(jnp.shape(self.cov_diag))
        if not loc_s or len(w_s) < 2 or not d_s or not (loc_s[-1] == w_s[-2] == d_s[-1]):
            raise ValueError(
                f"LowRankMultivariateNormal: loc with shape {loc_s}, cov_factor with shape {w_s} "
                f"and cov_diag with shape {d_s} must have shapes (..., d), (..., d, r), (..., d)."
            )
        return (loc_s[-1],)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        _ = self.event_shape
        return _batch_shape(
            "LowRankMultivariateNormal",
            loc=(self.loc, 1),
            cov_factor=(self.cov_factor, 2),
            cov_diag=(self.cov_diag, 1),
        )

    def _constraints(self):
        return [
            (loc_is_finite(self.loc, 1), "loc must be finite."),
            (jnp.all(finite_positive(self.cov_diag), -1), "cov_diag must be positive and finite."),
        ]

    def _promoted(self):
        """``(loc, cov_factor, cov_diag)`` in one dtype; where ``loc`` is not finite, ``loc`` is
        NaN (and so every derivative through it; the factors are not broadcast to ``loc``'s
        batch, so that one capacitance serves a batch of locations)."""
        loc, w, delta = promote(self.loc, self.cov_factor, self.cov_diag)
        return loc * loc_mask(loc, 1), w, delta

    @property
    def rank(self) -> int:
        """The number of columns :math:`r` of ``cov_factor``."""
        return jnp.shape(self.cov_factor)[-1]

    def _factors(self):
        r"""``(loc, W, delta, A, L_C)``: promoted parameters, whitened factor, capacitance."""
        loc, w, delta = self._promoted()
        a = w / jnp.sqrt(delta)[..., :, None]
        r = w.shape[-1]
        capacitance = jnp.eye(r, dtype=a.dtype) + jnp.matmul(_mT(a), a, precision=_HIGHEST)
        return loc, w, delta, a, jnp.linalg.cholesky(capacitance)

    def _half_log_det(self, delta, chol):
        return 0.5 * jnp.sum(jnp.log(delta), -1) + jnp.sum(
            jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), -1
        )

    def _whitened(self, x, method):
        x = self._check_value(x, method)
        loc, w, delta, a, chol = self._factors()
        loc, x = promote(loc, x)
        loc, w, delta, a, chol = (v.astype(x.dtype) for v in (loc, w, delta, a, chol))
        u = (x - loc) / jnp.sqrt(delta)
        return u, a, chol, delta

    def log_prob(self, x) -> jax.Array:
        u, a, chol, delta = self._whitened(x, "log_prob")
        r = chol.shape[-1]
        eye = jnp.eye(r, dtype=chol.dtype)
        # B = (I + L_C^T)^{-1} L_C^{-1}: r x r, once per distribution
        b = solve_triangular(eye + _mT(chol), _tril_inverse(chol), lower=False)
        v = _matvec(_mT(a), u)  # A^T u
        z = u - _matvec(a, _matvec(b, v))  # F^{-1} u
        d = u.shape[-1]
        return -0.5 * jnp.sum(z * z, -1) - self._half_log_det(delta, chol) - 0.5 * d * _LOG_2PI

    def score(self, x) -> jax.Array:
        r""":math:`-\Sigma^{-1}(x - \mu) = -D^{-1/2}\big(u - A C^{-1} A^\top u\big)` (Woodbury).

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array with the shape of ``x`` broadcast against ``batch_shape + event_shape``.
        """
        u, a, chol, delta = self._whitened(x, "score")
        inverse = _tril_inverse(chol)
        c_inv = jnp.matmul(_mT(inverse), inverse, precision=_HIGHEST)
        out = -(u - _matvec(a, _matvec(c_inv, _matvec(_mT(a), u)))) / jnp.sqrt(delta)
        full = jnp.broadcast_shapes(out.shape, self.batch_shape + self.event_shape)
        return jnp.broadcast_to(out, full)

    def sample(self, key, sample_shape=()) -> jax.Array:
        r""":math:`\mu + W\varepsilon_1 + \sqrt\delta\odot\varepsilon_2`, standard normal
        :math:`\varepsilon_1 \in \mathbb R^r`, :math:`\varepsilon_2 \in \mathbb R^d`.

        Args:
          key: a ``jax.random`` key.
          sample_shape: leading shape of independent draws (an int or a tuple).

        Returns:
          Array of shape ``sample_shape + batch_shape + event_shape``, dtype of the parameters.
        """
        loc, w, delta = self._promoted()
        shape = self._sample_shape(sample_shape)
        key_w, key_d = jax.random.split(key)
        eps_w = jax.random.normal(key_w, shape[:-1] + (w.shape[-1],), loc.dtype)
        eps_d = jax.random.normal(key_d, shape, loc.dtype)
        # the mask on the noise, not on the factors: they serve a batch of locations
        noise = _matvec(w, eps_w) + jnp.sqrt(delta) * eps_d
        return loc + noise * loc_mask(loc, 1)

    def entropy(self) -> jax.Array:
        r""":math:`\tfrac d2(1 + \log 2\pi) + \tfrac12\log\det\Sigma`.

        Returns:
          Array of shape ``batch_shape``.
        """
        _, _, delta, _, chol = self._factors()
        d = self.event_shape[0]
        value = 0.5 * d * (1.0 + _LOG_2PI) + self._half_log_det(delta, chol)
        return jnp.broadcast_to(value, self.batch_shape)

    def mean(self) -> jax.Array:
        loc, _, _ = self._promoted()
        return jnp.broadcast_to(loc, self.batch_shape + self.event_shape)

    def mode(self) -> jax.Array:
        return self.mean()

    def variance(self) -> jax.Array:
        r""":math:`\Sigma_{ii} = \delta_i + \sum_j W_{ij}^2`.

        Returns:
          Array of shape ``batch_shape + event_shape``.
        """
        _, w, delta = promote(self.loc, self.cov_factor, self.cov_diag)
        return jnp.broadcast_to(delta + jnp.sum(w * w, -1), self.batch_shape + self.event_shape)

    def covariance(self) -> jax.Array:
        r""":math:`W W^\top + D`, shape ``batch + (d, d)`` (forms the dense matrix).

        Returns:
          Array of shape ``batch_shape + (d, d)``.
        """
        _, w, delta = promote(self.loc, self.cov_factor, self.cov_diag)
        d = self.event_shape[0]
        cov = jnp.matmul(w, _mT(w), precision=_HIGHEST) + delta[..., :, None] * jnp.eye(
            d, dtype=w.dtype
        )
        return jnp.broadcast_to(cov, self.batch_shape + (d, d))

    def precision_matrix(self) -> jax.Array:
        r""":math:`D^{-1} - D^{-1} W C^{-1} W^\top D^{-1}` (Woodbury), shape ``batch + (d, d)``.

        Returns:
          Array of shape ``batch_shape + (d, d)``.
        """
        _, w, delta, a, chol = self._factors()
        d = self.event_shape[0]
        g = solve_triangular(chol, _mT(a), lower=True)  # L_C^{-1} A^T, (r, d)
        inner = jnp.eye(d, dtype=a.dtype) - jnp.matmul(_mT(g), g, precision=_HIGHEST)
        s = 1 / jnp.sqrt(delta)
        return jnp.broadcast_to(
            s[..., :, None] * inner * s[..., None, :], self.batch_shape + (d, d)
        )

    @property
    def scale_tril(self) -> jax.Array:
        r""":math:`\operatorname{chol}(W W^\top + D)` (forms the dense matrix: :math:`O(d^3)`)."""
        return jnp.linalg.cholesky(self.covariance())
