"""``XLA_FLAGS`` entries that the installed jaxlib knows, set before JAX starts.

XLA aborts the whole process on a flag it does not know, and flags come and go between jaxlib
versions, so a flag is added only when its name occurs in jaxlib's shared libraries (looked up
without importing jax). Used by the test suite and the benchmarks; the library itself never
changes process-wide flags. Importing this module does not import jax (``import gmath`` does not
either).
"""

from __future__ import annotations

import importlib.util
import mmap
import os
from pathlib import Path

__all__ = ["add_xla_flag", "xla_knows"]


def xla_knows(flag: str) -> bool:
    """Whether the installed jaxlib's XLA knows ``flag`` (``--name=value`` or ``--name``)."""
    spec = importlib.util.find_spec("jaxlib")
    libs = Path(spec.origin).parent.glob("*.so") if spec and spec.origin else ()
    name = flag.split("=")[0].lstrip("-").encode()
    for lib in (p for p in libs if p.stat().st_size > 0):
        with open(lib, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if m.find(name) >= 0:
                return True
    return False


def add_xla_flag(flag: str) -> bool:
    """Append ``flag`` to ``XLA_FLAGS`` unless it is set already or this jaxlib does not know it.

    Must run before jax is imported. Returns whether the flag is now in ``XLA_FLAGS``.
    """
    current = os.environ.get("XLA_FLAGS", "")
    if flag.split("=")[0] in current:
        return True
    if not xla_knows(flag):
        return False
    os.environ["XLA_FLAGS"] = f"{current} {flag}".strip()
    return True
