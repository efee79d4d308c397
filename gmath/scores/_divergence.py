r"""Trace of the Jacobian of a vector field (its divergence :math:`\nabla\cdot f`): exact, or
estimated by Hutchinson and Hutch++."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath._estimate import Estimate, mean_and_stderr
from gmath._numerics import check_key, matmul, promote

__all__ = ["jacobian_trace", "jacobian_trace_estimate"]

_METHODS = ("hutchinson", "hutch++")
_PROBES = ("rademacher", "gaussian")


def _draw_probes(key, shape, dtype, probe):
    if probe == "rademacher":
        return jax.random.rademacher(key, shape, dtype)
    return jax.random.normal(key, shape, dtype)


def _linearize(where, fn, x):
    (x,) = promote(x)
    shape = x.shape
    out_shape = jax.eval_shape(fn, x).shape
    if out_shape != shape:
        raise ValueError(
            f"{where}: fn(x) has shape {tuple(out_shape)} but x has shape {tuple(shape)}."
        )
    flat = lambda v: jnp.reshape(fn(jnp.reshape(v, shape)), (-1,)).astype(x.dtype)
    _, jvp = jax.linearize(flat, jnp.reshape(x, (-1,)))
    return x, jvp


def jacobian_trace(fn: Callable, x, *, chunk_size: int | None = None) -> jax.Array:
    r"""Trace of the Jacobian, :math:`\operatorname{tr} J_f(x) = \nabla\cdot f(x)`, exactly.

    The :math:`d` diagonal entries :math:`e_i^\top J e_i` come from Jacobian-vector products of
    one linearisation, ``chunk_size`` at a time (memory :math:`O(\text{chunk}\cdot d)`;
    ``None`` does all :math:`d` at once). :func:`jacobian_trace_estimate` is the stochastic
    counterpart (Hutchinson, Hutch++) for large :math:`d`.

    Args:
      fn: vector field ``x -> fn(x)`` with ``fn(x).shape == x.shape``.
      x: the point, any shape (flattened internally: :math:`d` = ``x.size``).
      chunk_size: number of Jacobian-vector products evaluated together.

    Returns:
      Scalar array in the dtype of ``x``.

    Raises:
      ValueError: ``fn`` changing the shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[2.0, 1.0], [0.0, 3.0]])
      >>> float(jacobian_trace(lambda x: a @ x, jnp.zeros(2)))
      5.0
    """
    x, jvp = _linearize("jacobian_trace", fn, x)
    d = x.size
    eye = jnp.eye(d, dtype=x.dtype)

    def diag_entry(i):
        return jvp(eye[i])[i]

    entries = jax.lax.map(diag_entry, jnp.arange(d), batch_size=chunk_size or d)
    return jnp.sum(entries)


def jacobian_trace_estimate(
    key,
    fn: Callable,
    x,
    *,
    method: str = "hutchinson",
    num_probes: int = 1,
    probe: str = "rademacher",
    probes=None,
) -> Estimate:
    r"""Stochastic estimate of :math:`\operatorname{tr} J_f(x) = \nabla\cdot f(x)` with its
    standard error.

    - ``"hutchinson"``: :math:`\frac1n\sum_j v_j^\top J v_j` with :math:`E[vv^\top] = I`
      (Hutchinson 1989). Per-probe variance :math:`2\|J_s\|_F^2` for Gaussian probes and
      :math:`2(\|J_s\|_F^2 - \sum_i J_{ii}^2)` for Rademacher probes, :math:`J_s = (J+J^\top)/2`.
    - ``"hutch++"``: Meyer et al. (2021): with :math:`k = \lfloor n/3\rfloor`, sketch
      :math:`Q = \operatorname{qr}(JS)`, take :math:`\operatorname{tr}(Q^\top J Q)` exactly and
      Hutchinson with the :math:`n - 2k` remaining probes on :math:`(I-QQ^\top)J(I-QQ^\top)`;
      unbiased for any :math:`J`, with variance :math:`O(1/n^2)` for symmetric PSD :math:`J`.

    ``stderr`` is the sample standard deviation of the Hutchinson terms over :math:`\sqrt{n}`
    (:func:`gmath.mean_and_stderr`: NaN for one term; for Hutch++ it is conditional on the
    sketch). :func:`jacobian_trace` is the exact counterpart.

    Args:
      key: PRNG key for the probes (may be ``None`` when ``probes`` is given).
      fn: vector field ``x -> fn(x)`` with ``fn(x).shape == x.shape``.
      x: the point, any shape (flattened internally: :math:`d` = ``x.size``).
      method: ``"hutchinson"`` or ``"hutch++"``.
      num_probes: number of matrix-vector products :math:`n` (``>= 3`` for Hutch++).
      probe: ``"rademacher"`` or ``"gaussian"``.
      probes: optional explicit probes of shape ``[num_probes, d]`` instead of drawing them
        (for Hutch++ the first :math:`k` are the sketch :math:`S`).

    Returns:
      ``Estimate(value, stderr)``, scalars in the dtype of ``x``.

    Raises:
      ValueError: unknown method/probe, ``fn`` changing the shape, missing key, bad probes.

    References:
      Hutchinson (1989). A stochastic estimator of the trace of the influence matrix for Laplacian
      smoothing splines [@hutchinson1989]. Meyer, Musco, Musco, Woodruff (2021). Hutch++: optimal
      stochastic trace estimation. SOSA [@meyer2021hutchpp].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> est = jacobian_trace_estimate(jax.random.key(0), lambda x: 3.0 * x, jnp.zeros(4),
      ...                               num_probes=8)
      >>> float(est.value), float(est.stderr)  # Rademacher probes: exact for a diagonal J
      (12.0, 0.0)
    """
    where = "jacobian_trace_estimate"
    if method not in _METHODS:
        raise ValueError(f"{where}: unknown method {method!r}; expected one of {_METHODS}.")
    if probe not in _PROBES:
        raise ValueError(f"{where}: unknown probe {probe!r}; expected one of {_PROBES}.")
    x, jvp = _linearize(where, fn, x)
    d = x.size
    if not (isinstance(num_probes, int) and num_probes >= 1):
        raise ValueError(f"{where}: num_probes must be a positive int, got {num_probes!r}.")
    if method == "hutch++" and num_probes < 3:
        raise ValueError(f"{where}: hutch++ needs num_probes >= 3, got {num_probes}.")
    if probes is None:
        if key is None:
            raise ValueError(f"{where}: method={method!r} needs a key (or explicit probes).")
        check_key(key, where=where)
        probes = _draw_probes(key, (num_probes, d), x.dtype, probe)
    else:
        probes = jnp.asarray(probes, x.dtype)
        if probes.shape != (num_probes, d):
            raise ValueError(
                f"{where}: probes with shape {probes.shape}, expected {(num_probes, d)}."
            )
    matvec = jax.vmap(jvp)
    if method == "hutchinson":
        values = jnp.sum(probes * matvec(probes), axis=-1)
        return mean_and_stderr(values)
    k = num_probes // 3
    sketch, rest = probes[:k], probes[2 * k :]
    with jax.default_matmul_precision("highest"):  # the products of QR's derivative rule too
        q, _ = jnp.linalg.qr(matvec(sketch).T)  # [d, min(d, k)]
    low_rank = jnp.sum(q.T * matvec(q.T))
    g = rest - matmul(matmul(rest, q), q.T)
    values = jnp.sum(g * matvec(g), axis=-1)
    mean, stderr = mean_and_stderr(values)
    return Estimate(low_rank + mean, stderr)
