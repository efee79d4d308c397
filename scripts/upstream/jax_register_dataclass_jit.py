"""Standalone reproducer: jax.jit runs the wrong executable for register_dataclass pytrees.

Found with jax/jaxlib 0.10.2 (CPU). No gmath needed: ``python scripts/upstream/jax_register_dataclass_jit.py``.

Root cause: the tree structures (PyTreeDef) of two *different* classes registered with
``jax.tree_util.register_dataclass`` compare equal (``==`` is True) when they have the same
number of data fields and equal static fields, although their hashes differ. A hash table that
compares a short hash tag and then trusts ``==`` (jit's C++ executable cache) therefore returns
the entry of another class now and then: a jitted function that dispatches on the record's type
(as ``gmath.divergences.kl`` does) silently computes another class's formula. Whether a given call
collides depends on the hashes, which include the addresses of the class objects, so in a test
suite it looked state-dependent (only after certain test modules had run).

Classes registered with ``register_pytree_with_keys`` (custom nodes) compare unequal and are not
affected; gmath now registers its records that way (gmath/_pytree.py).

Typical output (counts vary with addresses; at 64 classes about 1 call in 8 is wrong):
    structures of A and B compare equal: True (hashes equal: False)
    register_dataclass: 8 of 64 calls returned another class's result
    register_pytree_with_keys: 0 of 64 calls returned another class's result
"""

import dataclasses

import jax
import jax.numpy as jnp
import jax.tree_util as tu


def _dataclass_registration(cls):
    return tu.register_dataclass(cls)


def _custom_registration(cls):
    tu.register_pytree_with_keys(
        cls,
        lambda r: (((tu.GetAttrKey("x"), r.x),), ()),
        lambda aux, children: cls(*children),
        lambda r: ((r.x,), ()),
    )
    return cls


def count_wrong(register, n=64):
    classes = []
    for i in range(n):
        cls = dataclasses.make_dataclass(f"C{i}", [("x", object)], frozen=True)
        cls.index = i
        classes.append(register(cls))
    f = jax.jit(lambda r: r.x + type(r).index)  # one jit object, many record classes
    x = jnp.zeros((), jnp.int32)
    return sum(int(f(cls(x))) != i for i, cls in enumerate(classes))


if __name__ == "__main__":
    A = tu.register_dataclass(dataclasses.make_dataclass("A", [("x", object), ("y", object)]))
    B = tu.register_dataclass(dataclasses.make_dataclass("B", [("u", object), ("v", object)]))
    sa, sb = tu.tree_structure(A(1.0, 2.0)), tu.tree_structure(B(1.0, 2.0))
    print(f"structures of A and B compare equal: {sa == sb} (hashes equal: {hash(sa) == hash(sb)})")
    for name, register in (
        ("register_dataclass", _dataclass_registration),
        ("register_pytree_with_keys", _custom_registration),
    ):
        print(f"{name}: {count_wrong(register)} of 64 calls returned another class's result")
