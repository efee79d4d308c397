"""The benchmark suites. Each module exposes ``cases(mode, dtype) -> list[Case]``.

``mode`` is ``"smoke"`` (tiny sizes, for the harness's own test), ``"quick"`` (the default of
``make bench``: under 5 minutes for all suites on a 2-core CPU) or ``"full"`` (the scales a user runs
on one GPU). Building a case is lazy: a suite whose gmath function does not exist yet, or whose
peer is not installed, yields cases that are skipped with a note, never a crash.
"""

from __future__ import annotations

import importlib

from benchmarks import SUITE_NAMES

__all__ = ["SUITE_NAMES", "load_cases"]


def load_cases(suites, mode: str, dtype: str):
    """All cases of the named suites, in order. A suite module that fails to import is reported as
    one skipped placeholder case rather than raising."""
    from benchmarks.harness import Case, Unavailable

    out = []
    for name in suites:
        try:
            mod = importlib.import_module(f"benchmarks.suites.{name}")
            out.extend(mod.cases(mode, dtype))
        except Exception as e:
            msg = f"suite {name} could not be loaded: {type(e).__name__}: {e}"

            def build(msg=msg):
                raise Unavailable(msg)

            out.append(Case(suite=name, name="suite", size=0, build=build, title=msg))
    return out
