r"""Multivariate normal records in one internal form, and the linear algebra KL needs.

Every parameterisation (``scale_tril``, ``covariance_matrix``, ``precision_matrix``,
``MultivariateNormalDiag``, ``LowRankMultivariateNormal``, ``Independent(Normal, 1)``) becomes a
:class:`Gaussian`: a mean and :math:`\Sigma = F F^\top + \operatorname{diag}(D)` with either part
optional, plus what inverting :math:`\Sigma` cheaply needs (a Cholesky factor; the precision's
Cholesky factor; a diagonal; or the capacitance matrix of the Woodbury identity). Nothing dense
is formed for diagonal or low-rank records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from gmath._numerics import matmul
from gmath.densities import (
    Independent,
    LowRankMultivariateNormal,
    MultivariateNormal,
    MultivariateNormalDiag,
    Normal,
)
from gmath.divergences._params import common_dtype, expm1_minus, log_ratio
from gmath.divergences._registry import Registry

__all__ = ["GAUSSIAN_CLASSES", "Gaussian", "as_gaussian", "gaussian_kl", "is_gaussian"]

# the classes whose records may be multivariate normals (Independent: of a Normal, one dimension)
GAUSSIAN_CLASSES = (
    MultivariateNormal,
    MultivariateNormalDiag,
    LowRankMultivariateNormal,
    Independent,
)


def _bcast_batch(a, b, a_core: int, b_core: int):
    """Broadcast the batch dimensions (all but the last ``*_core``) of ``a`` and ``b``."""
    batch = jnp.broadcast_shapes(a.shape[: a.ndim - a_core], b.shape[: b.ndim - b_core])
    a = jnp.broadcast_to(a, batch + a.shape[a.ndim - a_core :])
    b = jnp.broadcast_to(b, batch + b.shape[b.ndim - b_core :])
    return a, b


def _solve_lower(L, X):
    if L.ndim == 2 and X.ndim > 2:  # one factor for a batch: one solve on stacked columns
        d, k = X.shape[-2], X.shape[-1]
        cols = jnp.moveaxis(X, -2, 0).reshape(d, -1)
        out = lax.linalg.triangular_solve(L, cols, left_side=True, lower=True)
        return jnp.moveaxis(out.reshape((d,) + X.shape[:-2] + (k,)), 0, -2)
    L, X = _bcast_batch(L, X, 2, 2)
    return lax.linalg.triangular_solve(L, X, left_side=True, lower=True)


def _chol(S):
    return jnp.linalg.cholesky(0.5 * (S + jnp.swapaxes(S, -1, -2)))


@dataclass(frozen=True)
class Gaussian:
    """Internal form ``Sigma = factor factor^T + diag(diag)`` (see module docstring)."""

    loc: Any
    kind: str  # "tril" | "precision" | "diag" | "lowrank"
    tril: Any = None  # Cholesky factor of Sigma ("tril") or of the precision ("precision")
    diag: Any = None  # variances ("diag", "lowrank")
    factor: Any = None  # cov_factor ("lowrank")
    scale: Any = None  # standard deviations ("diag"), kept so that tiny scales do not underflow

    @property
    def dim(self) -> int:
        return self.loc.shape[-1]

    # --------------------------------------------------------------- capacitance (low-rank)
    def _capacitance_chol(self):
        w_over_d = self.factor / self.diag[..., :, None]
        cap = matmul(jnp.swapaxes(self.factor, -1, -2), w_over_d)
        cap = cap + jnp.eye(cap.shape[-1], dtype=cap.dtype)
        return _chol(cap), w_over_d

    def logdet(self) -> jax.Array:
        r""":math:`\log\det\Sigma`."""
        if self.kind == "tril":
            return 2 * jnp.sum(jnp.log(jnp.abs(jnp.diagonal(self.tril, axis1=-2, axis2=-1))), -1)
        if self.kind == "precision":
            return -2 * jnp.sum(jnp.log(jnp.abs(jnp.diagonal(self.tril, axis1=-2, axis2=-1))), -1)
        logdet = jnp.sum(jnp.log(self.diag), -1)
        if self.kind == "lowrank":
            lc, _ = self._capacitance_chol()
            logdet = logdet + 2 * jnp.sum(jnp.log(jnp.diagonal(lc, axis1=-2, axis2=-1)), -1)
        return logdet

    def inv_quad_columns(self, X) -> jax.Array:
        r""":math:`x_j^\top \Sigma^{-1} x_j` for each column of ``X`` ``[..., d, k]``: ``[..., k]``."""
        if self.kind == "tril":
            return jnp.sum(_solve_lower(self.tril, X) ** 2, -2)
        if self.kind == "precision":
            L, X = _bcast_batch(self.tril, X, 2, 2)
            return jnp.sum(matmul(jnp.swapaxes(L, -1, -2), X) ** 2, -2)
        out = jnp.sum(X**2 / self.diag[..., :, None], -2)
        if self.kind == "lowrank":
            lc, w_over_d = self._capacitance_chol()
            w_t, X = _bcast_batch(jnp.swapaxes(w_over_d, -1, -2), X, 2, 2)
            Y = matmul(w_t, X)
            out = out - jnp.sum(_solve_lower(lc, Y) ** 2, -2)
        return out

    def inv_quad(self, X) -> jax.Array:
        r""":math:`\operatorname{tr}(X^\top \Sigma^{-1} X)` for ``X`` of shape ``[..., d, k]``."""
        return jnp.sum(self.inv_quad_columns(X), -1)

    def diag_of_inverse(self) -> jax.Array:
        r""":math:`\operatorname{diag}(\Sigma^{-1})`, shape ``[..., d]``."""
        eye = jnp.eye(self.dim, dtype=self.loc.dtype)
        if self.kind == "tril":
            inv = _solve_lower(self.tril, jnp.broadcast_to(eye, self.tril.shape))
            return jnp.sum(inv**2, -2)
        if self.kind == "precision":
            return jnp.sum(self.tril**2, -1)
        out = 1 / self.diag
        if self.kind == "lowrank":
            lc, w_over_d = self._capacitance_chol()
            z = _solve_lower(lc, jnp.swapaxes(w_over_d, -1, -2))
            out = out - jnp.sum(z**2, -2)
        return out

    def sqrt_parts(self) -> tuple[jax.Array | None, jax.Array | None]:
        r"""``(F, D)`` with :math:`\Sigma = F F^\top + \operatorname{diag}(D)`; either may be None."""
        if self.kind == "tril":
            return self.tril, None
        if self.kind == "precision":
            eye = jnp.broadcast_to(jnp.eye(self.dim, dtype=self.tril.dtype), self.tril.shape)
            f = lax.linalg.triangular_solve(self.tril, eye, left_side=True, lower=True)
            return jnp.swapaxes(f, -1, -2), None  # L_P^{-T}: (L_P L_P^T)^{-1} = F F^T
        if self.kind == "diag":
            return None, self.diag
        return self.factor, self.diag

    def covariance(self) -> jax.Array:
        """Dense covariance ``[..., d, d]``."""
        f, d = self.sqrt_parts()
        cov: jax.Array | float = 0.0
        if f is not None:
            cov = matmul(f, jnp.swapaxes(f, -1, -2))
        if d is not None:
            cov = cov + d[..., :, None] * jnp.eye(self.dim, dtype=d.dtype)
        return jnp.asarray(cov)

    def precision(self) -> jax.Array:
        """Dense precision ``[..., d, d]``."""
        if self.kind == "precision":
            return matmul(self.tril, jnp.swapaxes(self.tril, -1, -2))
        if self.kind == "diag":
            return (1 / self.diag)[..., :, None] * jnp.eye(self.dim, dtype=self.diag.dtype)
        return jnp.linalg.inv(self.covariance())


# record class -> converter ``fn(d, dtype) -> Gaussian``
_AS_GAUSSIAN = Registry("as_gaussian", arity=1)


@_AS_GAUSSIAN.register(Independent)
def _independent(d, dtype):
    base = d.base
    loc, scale = jnp.broadcast_arrays(jnp.asarray(base.loc, dtype), jnp.asarray(base.scale, dtype))
    return Gaussian(loc=loc, kind="diag", diag=scale**2, scale=jnp.abs(scale))


@_AS_GAUSSIAN.register(MultivariateNormalDiag)
def _diag(d, dtype):
    loc, scale = jnp.broadcast_arrays(jnp.asarray(d.loc, dtype), jnp.asarray(d.scale_diag, dtype))
    return Gaussian(loc=loc, kind="diag", diag=scale**2, scale=jnp.abs(scale))


@_AS_GAUSSIAN.register(LowRankMultivariateNormal)
def _low_rank(d, dtype):
    loc, diag = jnp.broadcast_arrays(jnp.asarray(d.loc, dtype), jnp.asarray(d.cov_diag, dtype))
    return Gaussian(loc=loc, kind="lowrank", diag=diag, factor=jnp.asarray(d.cov_factor, dtype))


@_AS_GAUSSIAN.register(MultivariateNormal)
def _full(d, dtype):
    # the public ``scale_tril`` is derived from whichever matrix was given
    return Gaussian(
        loc=jnp.asarray(d.loc, dtype), kind="tril", tril=jnp.asarray(d.scale_tril, dtype)
    )


def is_gaussian(d) -> bool:
    """Whether ``d`` is a multivariate normal record: a class registered in ``_AS_GAUSSIAN``
    (an ``Independent`` only over a ``Normal`` with one reinterpreted dimension)."""
    if _AS_GAUSSIAN.lookup(d) is None:
        return False
    if isinstance(d, Independent):
        return isinstance(d.base, Normal) and int(d.reinterpreted_batch_ndims) == 1
    return True


def as_gaussian(d, dtype=None) -> Gaussian:
    """The internal form of a multivariate normal record (any parameterisation)."""
    fn = _AS_GAUSSIAN.lookup(d)
    if fn is None or not is_gaussian(d):
        raise NotImplementedError(f"{type(d).__qualname__} is not a multivariate normal record.")
    return fn(d, dtype or common_dtype(d))


def gaussian_kl(p: Gaussian, q: Gaussian) -> jax.Array:
    r""":math:`KL(\mathcal N(\mu_p, \Sigma_p) \| \mathcal N(\mu_q, \Sigma_q))`.

    .. math::
        \tfrac12\left[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)
        + (\mu_q - \mu_p)^\top\Sigma_q^{-1}(\mu_q - \mu_p) - d
        + \log\det\Sigma_q - \log\det\Sigma_p\right].
    """
    if p.dim != q.dim:
        raise ValueError(f"kl: multivariate normals of different dimensions {p.dim} and {q.dim}.")
    if p.kind == q.kind == "diag":
        return _kl_diag(p, q)
    if p.kind in ("diag", "tril") and q.kind in ("diag", "tril"):
        return _kl_tril(p, q)
    f, d = p.sqrt_parts()
    diff = (q.loc - p.loc)[..., :, None]
    if d is not None and q.kind in ("tril", "lowrank"):
        # tr(S_q^-1 diag(d)) = ||L_q^-1 diag(sqrt d)||_F^2: a factor like the others, so that
        # the solves below stay one batched call
        extra = jnp.sqrt(d)[..., :, None] * jnp.eye(p.dim, dtype=d.dtype)
        f = extra if f is None else jnp.concatenate(_bcast_batch(f, extra, 2, 2), axis=-1)
        d = None
    trace: jax.Array | float = 0.0
    if f is not None:
        # one solve against [F_p | mu_q - mu_p]: one batched LAPACK call, not two (faster, and
        # two independent ones can deadlock jaxlib 0.10.2 on CPU, see CHANGELOG)
        f, diff = _bcast_batch(f, diff, 2, 2)
        cols = q.inv_quad_columns(jnp.concatenate([f, diff], axis=-1))
        trace, maha = jnp.sum(cols[..., :-1], -1), cols[..., -1]
    else:
        maha = q.inv_quad(diff)
    if d is not None:
        trace = trace + jnp.sum(d * q.diag_of_inverse(), -1)
    return 0.5 * (trace + maha - p.dim + q.logdet() - p.logdet())


def _kl_diag(p: Gaussian, q: Gaussian):
    r"""Diagonal covariances: :math:`\sum_i \tfrac12[(e^{t_i} - 1 - t_i) + z_i^2]`,
    :math:`t_i = 2\log(\sigma_{p,i}/\sigma_{q,i})`, :math:`z_i = (\mu_{p,i} - \mu_{q,i})/\sigma_{q,i}`:
    from the scales (no squares that underflow), accurate for nearby laws."""
    sp, sq = jnp.broadcast_arrays(p.scale, q.scale)
    t = 2 * log_ratio(sq, sp)
    z = (p.loc - q.loc) / q.scale
    return 0.5 * jnp.sum(expm1_minus(t) + z * z, -1)


def _tril(g: Gaussian):
    """A lower-triangular factor with a nonnegative diagonal (columns' signs normalised)."""
    if g.kind == "diag":
        return g.scale[..., :, None] * jnp.eye(g.dim, dtype=g.scale.dtype)
    diag = jnp.diagonal(g.tril, axis1=-2, axis2=-1)
    return g.tril * jnp.where(diag < 0, -1.0, 1.0)[..., None, :]


def _kl_tril(p: Gaussian, q: Gaussian):
    r"""Cholesky factors :math:`L_p`, :math:`L_q`: with :math:`N = L_q^{-1}(L_p - L_q)` (lower
    triangular, :math:`N_{ii} = L_{p,ii}/L_{q,ii} - 1`),

    .. math::
        KL = \tfrac12\Big[\sum_{i > j} N_{ij}^2 + \sum_i (e^{t_i} - 1 - t_i)
            + \|L_q^{-1}(\mu_p - \mu_q)\|^2\Big], \quad t_i = 2\log(L_{p,ii}/L_{q,ii}),

    the usual :math:`\tfrac12[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p) - d + \log\det\Sigma_q
    - \log\det\Sigma_p + \text{Mahalanobis}]` with the trace and log-determinants expanded
    around :math:`L_p = L_q`: a sum of nonnegative terms, accurate for nearby laws, 0 at equality.
    """
    lp, lq = _bcast_batch(_tril(p), _tril(q), 2, 2)
    diff = (p.loc - q.loc)[..., :, None]
    lq_b, diff = _bcast_batch(lq, diff, 2, 2)
    lp_b, _ = _bcast_batch(lp, diff, 2, 2)
    n = _solve_lower(lq_b, jnp.concatenate([lp_b - lq_b, diff], axis=-1))
    off = jnp.tril(n[..., :, :-1], -1)
    maha = jnp.sum(n[..., :, -1] ** 2, -1)
    dp = jnp.diagonal(lp_b, axis1=-2, axis2=-1)
    dq = jnp.diagonal(lq_b, axis1=-2, axis2=-1)
    t = 2 * log_ratio(dq, dp)
    return 0.5 * (jnp.sum(off**2, (-2, -1)) + jnp.sum(expm1_minus(t), -1) + maha)
