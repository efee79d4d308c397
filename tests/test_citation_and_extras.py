"""citation() reports the installed version and refuses what it cannot resolve; gmath.testing
without hypothesis names the extra to install."""

import importlib.metadata
import subprocess
import sys

import pytest

import gmath
from gmath import divergences as gv
from gmath import games as gg


def test_citation_reports_the_installed_version():
    text = gmath.citation(file=False)
    version = importlib.metadata.version("gmath")
    assert f"version = {{{version}}}" in text
    assert version == gmath.__version__


def test_citation_resolves_gmath_objects_names_and_instances():
    by_object = gmath.citation(gg.solve_matrix_game, file=False)
    for key in ("korpelevich1976extragradient", "tammelin2014solving", "brown1951iterative"):
        assert f"{{{key}," in by_object
    assert gmath.citation("gmath.games.solve_matrix_game", file=False) == by_object
    from gmath import densities as gd

    assert gmath.citation(gd.Normal(0.0, 1.0), file=False) == gmath.citation(gd.Normal, file=False)
    gmath.citation(gv.kl, file=False)  # a gmath function resolves


@pytest.mark.parametrize(
    ("obj", "error", "match"),
    [
        ("sinkhorn", ValueError, "cannot resolve 'sinkhorn'"),
        ("gmath.divergences.no_such_function", ValueError, "no such gmath object"),
        (lambda x: x, TypeError, "cannot resolve <function"),
        (len, TypeError, "builtins"),
        (3, TypeError, "cannot resolve 3"),
    ],
    ids=["bare-string", "unknown-name", "lambda", "foreign-function", "number"],
)
def test_citation_raises_on_what_it_cannot_resolve(obj, error, match):
    with pytest.raises(error, match=match):
        gmath.citation(obj, file=False)


def test_gmath_testing_without_hypothesis_names_the_extra():
    # simulate an environment without hypothesis: a meta-path finder that refuses it
    code = """
import sys

class NoHypothesis:
    def find_spec(self, name, path=None, target=None):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoHypothesis())
try:
    import gmath.testing
except ModuleNotFoundError as err:
    print(type(err).__name__, err.name, str(err), sep="|")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kind, name, message = out.stdout.strip().split("|")
    assert (kind, name) == ("ModuleNotFoundError", "hypothesis"), out.stderr
    assert "pip install gmath[testing]" in message
