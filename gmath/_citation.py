"""``gmath.citation()``: BibTeX for gmath and for the methods behind the functions you used."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

__all__ = ["citation"]

GMATH_BIBTEX = """@software{gmath,
  title = {gmath: the mathematics of generative models as composable {JAX} primitives},
  author = {{gmath developers}},
  year = {2026},
  url = {https://github.com/gmath-dev/gmath},
  version = {0.1.0}
}"""

_CITE_KEY = re.compile(r"\[@([A-Za-z0-9_:\-]+)\]")


def _keys(fn: Callable) -> list[str]:
    doc = inspect.getdoc(fn) or ""
    return list(dict.fromkeys(_CITE_KEY.findall(doc)))


def citation(*functions: Callable, file=None) -> str:
    r"""Return (and print) BibTeX for gmath and the methods behind ``functions``.

    Docstrings cite papers by bibliography key, written in square brackets after an at sign,
    into gmath's bibliography (``gmath/references.bib``); the entries for the keys of the
    functions given are appended after gmath's own entry.

    Args:
      *functions: public gmath functions or classes whose methods you used.
      file: where to print (``sys.stdout`` by default); ``False`` prints nothing.

    Returns:
      The BibTeX text.

    Examples:
      >>> import gmath
      >>> text = gmath.citation(file=False)
      >>> text.startswith("@software{gmath,")
      True
    """
    from gmath._bibliography import entries

    bib = entries()
    chunks = [GMATH_BIBTEX]
    for fn in functions:
        for key in _keys(fn):
            if key not in bib:
                raise KeyError(f"citation key {key!r} of {fn!r} is not in gmath's bibliography")
            if bib[key] not in chunks:
                chunks.append(bib[key])
    text = "\n\n".join(chunks)
    if file is not False:
        print(text, file=file)
    return text
