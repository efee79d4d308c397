"""Package-level contract: version, lazy testing import, citation, documentation coverage."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import gmath

ROOT = Path(__file__).resolve().parents[1]


def _gen_pages():
    spec = importlib.util.spec_from_file_location("gen_pages", ROOT / "docs" / "gen_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_version_and_subpackages():
    assert isinstance(gmath.__version__, str)
    for name in ["densities", "divergences", "scores", "games", "config"]:
        assert hasattr(gmath, name)


def test_import_does_not_load_hypothesis_or_jax():
    # jax loads with the first subpackage used (gmath.config included), so that `import gmath`
    # and gmath._xla_flags can run before jax starts
    code = "import sys, gmath, gmath._xla_flags; print('hypothesis' in sys.modules, 'jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False False", out.stderr


def test_xla_flags_added_only_when_this_jaxlib_knows_them(monkeypatch):
    from gmath._xla_flags import add_xla_flag, xla_knows

    known = "--xla_cpu_enable_concurrency_optimized_scheduler=false"  # in jaxlib since 0.4.2x
    bogus = "--xla_gmath_no_such_flag=1"
    assert xla_knows(known) and not xla_knows(bogus)
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    assert not add_xla_flag(bogus)
    assert add_xla_flag(known)
    assert add_xla_flag(known)  # already there: not added twice
    assert os.environ["XLA_FLAGS"] == f"--xla_dump_to=/tmp/x {known}"


def test_citation_prints_gmath_and_method_entries(capsys):
    text = gmath.citation()
    assert capsys.readouterr().out.strip() == text.strip()
    assert text.startswith("@software{gmath,")
    from gmath._numerics import log1mexp

    log1mexp.__doc__ += "\n    [@machler2012log1mexp]"
    try:
        text = gmath.citation(log1mexp, file=False)
    finally:
        log1mexp.__doc__ = log1mexp.__doc__.replace("\n    [@machler2012log1mexp]", "")
    assert "@article{machler2012log1mexp," in text


def test_every_public_name_is_documented():
    assert _gen_pages().undocumented_names() == []


def test_every_citation_key_is_in_the_bibliography():
    assert _gen_pages().unknown_citations() == []


def test_namespaces_export_only_public_names():
    """Every public namespace lists in dir() only its __all__ (and its public submodules): no
    stray imports such as Any, jnp or dataclass."""
    import importlib
    import types

    import gmath.divergences as gv

    subpackages = {"config", "densities", "divergences", "games", "scores", "testing"}
    modules = [
        "gmath",
        "gmath.config",
        "gmath.densities",
        "gmath.divergences",
        "gmath.divergences.kernels",
        "gmath.divergences.generators",
        "gmath.games",
        "gmath.scores",
        "gmath.testing",
    ]
    for name in modules:
        module = importlib.import_module(name)
        public = {n for n in dir(module) if not n.startswith("_")}
        stray = {
            n
            for n in public - set(module.__all__)
            if not (isinstance(getattr(module, n), types.ModuleType) and n in subpackages)
        }
        assert not stray, f"{name} exports {sorted(stray)}"
    assert gv.generators.__name__ == "gmath.divergences.generators"
