"""Pytree registration of the records (gmath._pytree.register_record).

Regression: with ``jax.tree_util.register_dataclass`` (jaxlib 0.10.2), the tree structures of two
different record classes with the same number of data fields compared equal, so one
``jax.jit(gv.kl)`` shared across families sometimes ran another family's executable (a Gamma pair
evaluated by the Normal formula). Oracles: structures of different classes are unequal; equal
structures hash equally; a shared jitted function returns each class's own result.
"""

import ast
import dataclasses
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

import gmath
import gmath.densities as gd
import gmath.divergences as gv
import gmath.games as gg
import gmath.scores as gs
from gmath._pytree import register_record
from gmath.densities import Distribution
from gmath.densities._base import static_field
from gmath.divergences import kernels as gk


def _record_classes():
    """Every public dataclass registered as a pytree, in every area."""
    out = []
    for module in (gd, gk, gv, gg, gs):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj not in out:
                if not jax.tree_util.all_leaves([_bare(obj)]):  # registered as a pytree node
                    out.append(obj)
    return out


def _bare(cls):
    """An instance with every data field 1.0 (static fields at their defaults), no validation."""
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        if not f.metadata.get("static", False):
            value = 1.0
        else:
            value = 1 if f.default is dataclasses.MISSING else f.default
        object.__setattr__(obj, f.name, value)
    return obj


_RECORDS = _record_classes()


def test_every_density_family_kernel_and_record_is_covered():
    names = {c.__name__ for c in _RECORDS}
    assert {"Normal", "Gamma", "Beta", "Geometric", "Bernoulli", "RBF", "IMQ"} <= names
    assert {"MatrixGameSolution", "NoiseSchedule"} <= names
    assert Distribution not in _RECORDS


def test_no_module_registers_with_register_dataclass():
    # A record whose leaf layout no other record shares would pass the pairwise test below even
    # under register_dataclass: scan the sources as well.
    root = pathlib.Path(gmath.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "attr", None) or getattr(node, "id", None)
            if isinstance(node, ast.alias):
                name = node.name
            if name == "register_dataclass":
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_records_of_different_classes_have_unequal_structures():
    structures = [(cls, jax.tree_util.tree_structure(_bare(cls))) for cls in _RECORDS]
    same_layout = 0
    for i, (ca, sa) in enumerate(structures):
        for cb, sb in structures[i + 1 :]:
            same_layout += sa.num_leaves == sb.num_leaves
            assert sa != sb, f"{ca.__name__} and {cb.__name__} have equal tree structures"
    assert same_layout > 10  # the check is not vacuous: many pairs share a leaf layout


def test_equal_structures_hash_equally_and_static_fields_count():
    a = jax.tree_util.tree_structure(gd.Normal(jnp.zeros(3), 1.0))
    b = jax.tree_util.tree_structure(gd.Normal(jnp.ones(3), 2.0))
    assert a == b and hash(a) == hash(b)
    base = gd.Normal(jnp.zeros((2, 3)), 1.0)
    i1 = jax.tree_util.tree_structure(gd.Independent(base, reinterpreted_batch_ndims=1))
    i2 = jax.tree_util.tree_structure(gd.Independent(base, reinterpreted_batch_ndims=2))
    assert i1 != i2


def test_flatten_unflatten_round_trip_with_attribute_paths():
    p = gd.Geometric(logits=jnp.array([0.5, -1.0]))
    paths, treedef = jax.tree_util.tree_flatten_with_path(p)
    assert [jax.tree_util.keystr(k) for k, _ in paths] == [".logits"]
    q = jax.tree_util.tree_unflatten(treedef, [jnp.array([1.0, 2.0])])
    assert type(q) is gd.Geometric and q.probs is None
    np.testing.assert_array_equal(q.logits, [1.0, 2.0])
    ind = gd.Independent(gd.Normal(jnp.zeros((2, 3)), 1.0), reinterpreted_batch_ndims=1)
    ind2 = jax.tree_util.tree_map(lambda v: v + 1, ind)
    assert type(ind2) is gd.Independent and ind2.reinterpreted_batch_ndims == 1
    assert type(ind2.base) is gd.Normal


# Many classes with one identical layout through one jitted function: before the fix a fraction
# of calls (about 1 in 8 at this size) returned the result compiled for another class.
_NUM_CLASSES = 64


def _make_classes():
    classes = []
    for i in range(_NUM_CLASSES):
        cls = dataclasses.make_dataclass(f"_R{i}", [("x", object)], frozen=True)
        cls.index = i
        classes.append(register_record(cls))
    return classes


_SHARED = jax.jit(lambda r: r.x + type(r).index)


def test_one_jit_shared_by_many_record_classes_runs_each_class_own_executable():
    classes = _make_classes()
    x = jnp.zeros((), jnp.int32)
    got = [int(_SHARED(cls(x))) for cls in classes]
    assert got == list(range(_NUM_CLASSES))


_KL = jax.jit(gv.kl)


def test_shared_jit_kl_matches_eager_across_families_with_one_layout():
    # Families whose leaves have one layout but whose formulas differ: each needs its own
    # executable (the failures seen were Gamma by the Normal formula, Beta by the Gamma one).
    a = np.array([1.0, 1.5, 2.5])
    b = np.array([2.7, 0.8, 1.2])
    pairs = [(fam(a, a), fam(b, a)) for fam in (gd.Normal, gd.Gamma, gd.Beta, gd.Laplace)]
    pairs += [(fam(a), fam(b)) for fam in (gd.Exponential, gd.HalfNormal, gd.Poisson)]
    for p, q in pairs + pairs[::-1]:
        np.testing.assert_allclose(_KL(p, q), gv.kl(p, q), rtol=1e-12, err_msg=type(p).__name__)


def test_static_field_is_metadata_under_jit():
    @register_record
    @dataclasses.dataclass(frozen=True)
    class Scaled:
        x: object
        k: int = static_field(default=2)

    f = jax.jit(lambda r: r.x * r.k)
    assert float(f(Scaled(jnp.float64(3.0)))) == 6.0
    assert float(f(Scaled(jnp.float64(3.0), k=5))) == 15.0
    assert jax.tree_util.tree_leaves(Scaled(1.0, k=7)) == [1.0]
