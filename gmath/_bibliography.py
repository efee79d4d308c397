"""Reader for ``gmath/references.bib``, the one bibliography of docstrings and docs."""

from __future__ import annotations

import functools
import re
from importlib import resources

_ENTRY = re.compile(r"@\w+\{([^,\s]+),")


@functools.cache
def entries() -> dict[str, str]:
    """Map each citation key to its BibTeX entry text."""
    text = resources.files("gmath").joinpath("references.bib").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    starts = [m for m in _ENTRY.finditer(text)]
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        out[m.group(1)] = text[m.start() : end].strip()
    return out
