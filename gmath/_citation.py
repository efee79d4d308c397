"""``gmath.citation()``: BibTeX for gmath and for the methods behind the functions you used."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
from typing import IO, Literal

__all__ = ["citation"]

GMATH_BIBTEX = """@software{{gmath,
  title = {{gmath: the mathematics of generative models as composable {{JAX}} primitives}},
  author = {{{{gmath developers}}}},
  year = {{2026}},
  url = {{https://github.com/gmath-dev/gmath}},
  version = {{{version}}}
}}"""


def installed_version() -> str:
    """gmath's installed version (package metadata; the source tree's when not installed)."""
    try:
        return importlib.metadata.version("gmath")
    except importlib.metadata.PackageNotFoundError:
        from gmath._version import __version__

        return __version__


def _resolve(obj) -> object:
    """The gmath function or class behind ``obj``: a gmath object, an instance of a gmath
    class, or a dotted name such as ``"gmath.divergences.kl"``; TypeError/ValueError else."""
    if isinstance(obj, str):
        module, _, name = obj.rpartition(".")
        if not obj.startswith("gmath.") or not module:
            raise ValueError(
                f"citation: cannot resolve {obj!r}; pass a gmath function or class, or its full "
                "dotted name (e.g. 'gmath.divergences.kl')."
            )
        try:
            return _resolve(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError) as err:
            raise ValueError(f"citation: cannot resolve {obj!r}: no such gmath object.") from err
    target = inspect.unwrap(obj) if callable(obj) else obj
    if not (inspect.isclass(target) or inspect.isroutine(target)):
        target = type(obj)  # an instance (a distribution record, a kernel)
    module = getattr(target, "__module__", None) or ""
    if module != "gmath" and not module.startswith("gmath."):
        raise TypeError(
            f"citation: cannot resolve {obj!r} ({type(obj).__name__} from module "
            f"{module or 'unknown'!r}): only gmath functions, classes and their instances cite "
            "methods."
        )
    if getattr(target, "__name__", "") == "<lambda>":
        raise TypeError(f"citation: cannot resolve {obj!r}: a lambda has no citations.")
    return target


_CITE_KEY = re.compile(r"\[@([A-Za-z0-9_:\-]+)\]")


def _keys(obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    return list(dict.fromkeys(_CITE_KEY.findall(doc)))


def citation(*functions: object, file: IO[str] | Literal[False] | None = None) -> str:
    r"""Return (and print) BibTeX for gmath and the methods behind ``functions``.

    Docstrings cite papers by bibliography key, written in square brackets after an at sign,
    into gmath's bibliography (``gmath/references.bib``); the entries for the keys of the
    functions given are appended after gmath's own entry.

    Args:
      *functions: public gmath functions or classes whose methods you used (or instances of
        gmath classes, or full dotted names such as ``"gmath.divergences.kl"``).
      file: where to print (``sys.stdout`` by default); ``False`` prints nothing.

    Returns:
      The BibTeX text; gmath's entry carries the installed version.

    Raises:
      TypeError: an object that is not a gmath function, class or instance (a lambda, a
        function from another library).
      ValueError: a string that does not name a gmath object.

    Examples:
      >>> import gmath
      >>> text = gmath.citation(file=False)
      >>> text.startswith("@software{gmath,")
      True
    """
    from gmath._bibliography import entries

    bib = entries()
    resolved = [_resolve(fn) for fn in functions]
    chunks = [GMATH_BIBTEX.format(version=installed_version())]
    for fn in resolved:
        for key in _keys(fn):
            if key not in bib:
                raise KeyError(f"citation key {key!r} of {fn!r} is not in gmath's bibliography")
            if bib[key] not in chunks:
                chunks.append(bib[key])
    text = "\n\n".join(chunks)
    if file is not False:
        print(text, file=file)
    return text
