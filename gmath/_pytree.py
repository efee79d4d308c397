"""Registration of gmath's frozen dataclass records as JAX pytrees.

Why not :func:`jax.tree_util.register_dataclass`: in jaxlib 0.10.2 the tree structures of two
*different* dataclass types registered that way compare equal (``==``) whenever they have the
same number of data fields and equal static fields, although their hashes differ. ``jax.jit``
caches its traces keyed by the arguments' tree structures in hash tables that trust ``==`` once
a short hash tag matches, so a jitted function called with records of many families
(``jax.jit(kl)`` on Normal, Gamma, Beta, ... pairs) now and then reused the trace of another
family with the same leaf shapes, without tracing: a Gamma pair was evaluated by the Normal
formula. Records registered here are custom nodes, whose structures compare equal only when
their classes are the same; their leaves keep their ``GetAttrKey`` paths.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import jax

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10
    from typing_extensions import dataclass_transform

__all__ = ["dataclass_transform", "register_record", "static_field"]

_T = TypeVar("_T")


def static_field(
    *,
    default: Any = dataclasses.MISSING,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    init: bool = True,
    repr: bool = True,
    kw_only: bool | Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field that is pytree metadata (hashable, not traced), e.g. ``total_count``.

    Its keywords are those of :func:`dataclasses.field`; type checkers know it as a field
    specifier of the records (``dataclass_transform(field_specifiers=...)``).
    """
    return dataclasses.field(
        default=default,
        default_factory=default_factory,
        init=init,
        repr=repr,
        kw_only=kw_only,
        metadata={"static": True},
    )


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """``x -> tuple(getattr(x, n) for n in names)``, fast."""
    if not names:
        return lambda x: ()
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda x: (get(x),)
    return operator.attrgetter(*names)


def register_record(cls: type[_T]) -> type[_T]:
    """Register the dataclass ``cls`` as a pytree: data fields are leaves, static fields metadata.

    A field is static when its metadata has ``"static": True`` (``static_field``). Unflattening
    calls ``cls(**fields)``, as ``register_dataclass`` does. Returns ``cls``.
    """
    fields = [f for f in dataclasses.fields(cast(Any, cls)) if f.init]  # cls is a dataclass
    data = tuple(f.name for f in fields if not f.metadata.get("static", False))
    meta = tuple(f.name for f in fields if f.metadata.get("static", False))
    keys = tuple(jax.tree_util.GetAttrKey(name) for name in data)
    get_data, get_meta = _getter(data), _getter(meta)  # C-level attribute reads (jit dispatch)

    def flatten(x):
        return get_data(x), get_meta(x)

    def flatten_with_keys(x):
        return tuple(zip(keys, get_data(x), strict=True)), get_meta(x)

    def unflatten(aux, children):
        return cls(**dict(zip(meta, aux, strict=True)), **dict(zip(data, children, strict=True)))

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    return cls
