"""Tolerances and assertions for float64 oracles and float32 code under test."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "assert_allclose",
    "assert_float32_excess_bits",
    "assert_transform_consistent",
    "tolerance",
]

_BASE = {
    np.dtype(np.float64): 1e-10,
    np.dtype(np.float32): 16 * float(np.finfo(np.float32).eps),
    np.dtype(np.float16): 8 * float(np.finfo(np.float16).eps),
    np.dtype(jnp.bfloat16): 8 * float(jnp.finfo(jnp.bfloat16).eps),
}


def tolerance(dtype, *, condition: float = 1.0) -> float:
    r"""Relative tolerance for comparing a ``dtype`` result with an exact reference.

    float64: ``1e-10`` (a closed form is expected to hold to ~1e-10 relative); float32: 16 ulps;
    float16/bfloat16: 8 ulps; each multiplied by the ``condition`` number of the function at the
    point (``|x f'(x) / f(x)|``), which the caller states.

    .. math::
        \mathrm{rtol} = c \cdot \begin{cases} 10^{-10} & \text{float64} \\
        16\,\epsilon_{\mathrm{mach}} & \text{float32} \\
        8\,\epsilon_{\mathrm{mach}} & \text{float16, bfloat16} \end{cases}

    with :math:`c` = ``condition``.

    Args:
      dtype: the dtype of the result under test (anything ``np.dtype`` accepts).
      condition: condition number :math:`c` of the function at the point (values below 1,
        and NaN, count as 1).

    Returns:
      The relative tolerance, a Python float.

    Examples:
      >>> tolerance(np.float64)
      1e-10
      >>> bool(tolerance(np.float32) == 16 * np.finfo(np.float32).eps)
      True
    """
    dtype = np.dtype(dtype)
    if dtype not in _BASE:
        raise ValueError(f"tolerance: no tolerance for dtype {dtype}")
    if not condition >= 1.0:
        condition = 1.0
    return _BASE[dtype] * float(condition)


def _same_structure(a: Any, b: Any) -> bool:
    # jax.tree_util.PyTreeDef comes from a compiled module without stubs
    return bool(a == b)


def assert_allclose(
    actual, desired, *, rtol: float | None = None, atol: float = 0.0, err_msg: str = ""
) -> None:
    r"""``numpy.testing.assert_allclose`` over matching pytrees, dtype-aware by default.

    With ``rtol=None`` the tolerance is :func:`tolerance` of the actual leaf's dtype. Leaves must
    have the same shape (no silent broadcasting).

    Each leaf must satisfy :math:`|a - d| \le \mathrm{atol} + \mathrm{rtol}\,|d|` elementwise.

    Args:
      actual: pytree of arrays under test.
      desired: pytree of reference arrays with the same structure and leaf shapes.
      rtol: relative tolerance; ``None`` uses :func:`tolerance` of each actual leaf's dtype
        (0, i.e. exact, for integer and boolean leaves).
      atol: absolute tolerance.
      err_msg: message prefixed to a failure.

    Returns:
      ``None``; raises ``AssertionError`` on a mismatch of structure, shape or value.

    Examples:
      >>> assert_allclose({"a": np.ones(2)}, {"a": np.ones(2) + 1e-12})
    """
    actual_leaves, actual_tree = jax.tree_util.tree_flatten(actual)
    desired_leaves, desired_tree = jax.tree_util.tree_flatten(desired)
    if not _same_structure(actual_tree, desired_tree):
        raise AssertionError(f"tree structures differ: {actual_tree} vs {desired_tree}")
    for i, (a, d) in enumerate(zip(actual_leaves, desired_leaves, strict=True)):
        a = np.asarray(a)
        d = np.asarray(d)
        if a.shape != d.shape:
            raise AssertionError(f"leaf {i}: shapes differ, {a.shape} vs {d.shape}. {err_msg}")
        tol = rtol
        if tol is None:
            tol = tolerance(a.dtype) if a.dtype in _BASE else 0.0
        np.testing.assert_allclose(
            a.astype(np.float64) if a.dtype == jnp.bfloat16 else a,
            d.astype(np.float64) if d.dtype == jnp.bfloat16 else d,
            rtol=tol,
            atol=atol,
            err_msg=f"leaf {i}. {err_msg}",
        )


def assert_transform_consistent(
    fn: Callable,
    *batched_args,
    in_axes: int | Sequence | None = 0,
    rtol: float | None = None,
    atol: float = 0.0,
) -> None:
    r"""Assert ``fn`` gives the same result eager, under ``jit``, ``vmap`` and ``jit(vmap)``.

    ``batched_args`` carry a leading batch axis (per ``in_axes``); the reference is a Python loop
    of eager calls on each slice, stacked.

    Args:
      fn: the function under test, called on one slice of each batched argument.
      *batched_args: arrays (or pytrees) with a leading batch axis as given by ``in_axes``.
      in_axes: ``vmap``'s ``in_axes`` (0, ``None`` for an unbatched argument, or a sequence).
      rtol, atol: tolerances as in :func:`assert_allclose` (``rtol=None``: dtype-aware).

    Returns:
      ``None``; raises ``AssertionError`` when a transform disagrees with the eager loop.

    Examples:
      >>> import jax.numpy as jnp
      >>> assert_transform_consistent(lambda x: jnp.sin(x) ** 2, jnp.linspace(0.0, 1.0, 4))
    """
    if not isinstance(in_axes, (list, tuple)):
        in_axes = (in_axes,) * len(batched_args)
    sizes = {
        jax.tree_util.tree_leaves(a)[0].shape[ax]
        for a, ax in zip(batched_args, in_axes, strict=True)
        if ax is not None
    }
    if len(sizes) != 1:
        raise ValueError(f"assert_transform_consistent: batched arguments disagree in size {sizes}")
    (n,) = sizes

    def take(i):
        return [
            a if ax is None else jax.tree_util.tree_map(lambda v, ax=ax: jnp.take(v, i, axis=ax), a)
            for a, ax in zip(batched_args, in_axes, strict=True)
        ]

    eager = [fn(*take(i)) for i in range(n)]
    stacked = jax.tree_util.tree_map(lambda *v: jnp.stack(v), *eager)
    jitted = [jax.jit(fn)(*take(i)) for i in range(n)]
    vmapped = jax.vmap(fn, in_axes=tuple(in_axes))(*batched_args)
    jit_vmapped = jax.jit(jax.vmap(fn, in_axes=tuple(in_axes)))(*batched_args)
    for i in range(n):
        assert_allclose(jitted[i], eager[i], rtol=rtol, atol=atol, err_msg="jit vs eager")
    assert_allclose(vmapped, stacked, rtol=rtol, atol=atol, err_msg="vmap vs eager loop")
    assert_allclose(jit_vmapped, stacked, rtol=rtol, atol=atol, err_msg="jit(vmap) vs eager loop")


def assert_float32_excess_bits(
    f: Callable, reference: Callable, args: Sequence, *, differentiable, max_excess_bits=4
) -> None:
    r"""Assert that float32 ``f`` is within ``max_excess_bits`` of what float32 rounding allows.

    ``args`` (broadcast together) are rounded to float32; ``f`` runs on them in float32 (under
    ``jit`` and ``vmap``, so ``f`` takes scalars) and must return float32; ``reference`` (numpy,
    float64) runs on the same rounded values, so input rounding is not counted. The error is
    measured against the function's conditioning, as in ``scripts/accuracy_table.py``:

    .. math::

        \frac{|f_{32} - f|}{\varepsilon_{32} \max(|f|, \sum_i |\theta_i \partial f / \partial\theta_i|)}
        \le 2^{\text{max\_excess\_bits}},

    the sum over the argument positions in ``differentiable`` (derivatives by autodiff of ``f``
    in float64, which needs x64 enabled).

    Args:
      f: scalar function of scalar arguments, e.g. ``lambda x, a: Gamma(a, 1.0).log_prob(x)``.
      reference: float64 numpy function of the broadcast argument arrays.
      args: arrays (or scalars) broadcast together.
      differentiable: tuple of argument positions that enter the conditioning.
      max_excess_bits: allowed bits beyond the conditioning (the library's goal is 4).

    Raises:
      AssertionError: naming the worst ratio and its arguments.

    Examples:
      >>> import jax, numpy as np
      >>> jax.config.update("jax_enable_x64", True)
      >>> assert_float32_excess_bits(
      ...     lambda x: jax.numpy.log1p(x), np.log1p, [np.linspace(1e-6, 3, 7)], differentiable=(0,)
      ... )
    """
    eps32 = float(np.finfo(np.float32).eps)
    args32 = [np.asarray(a, np.float32) for a in np.broadcast_arrays(*args)]
    args64 = [a.astype(np.float64) for a in args32]
    out = jax.jit(jax.vmap(f))(*map(jnp.asarray, args32))
    assert out.dtype == jnp.float32, f"float32 inputs gave {out.dtype}"
    grads = jax.jit(jax.vmap(jax.grad(f, argnums=differentiable)))(*map(jnp.asarray, args64))
    sens = sum(
        np.abs(args64[i] * np.asarray(g)) for i, g in zip(differentiable, grads, strict=True)
    )
    expected = reference(*args64)
    ratio = np.abs(np.asarray(out, np.float64) - expected) / (
        eps32 * np.maximum(np.abs(expected), sens)
    )
    worst = int(np.argmax(ratio))
    assert ratio[worst] <= 2.0**max_excess_bits, (ratio[worst], [a[worst] for a in args64])
