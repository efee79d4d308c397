"""Sphinx configuration. Build with ``make docs`` (warnings are errors)."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gmath  # noqa: E402

project = "gmath"
author = "The gmath developers"
copyright = "2026, The gmath developers"
release = gmath.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinxcontrib.bibtex",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "site", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_class_signature = "mixed"  # the class heading shows the constructor signature
autodoc_typehints_description_target = "documented"

bibtex_bibfiles = [str(ROOT / "gmath" / "references.bib")]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

html_theme = "furo"
html_title = f"gmath {release}"

nitpicky = False
suppress_warnings = ["myst.header"]

_CITE = re.compile(r"\[@([A-Za-z0-9_:\-]+)\]")


def _cite_keys_to_roles(app, what, name, obj, options, lines):
    """Docstrings cite ``[@key]`` (read by ``gmath.citation``); render them as citations."""
    for i, line in enumerate(lines):
        lines[i] = _CITE.sub(lambda m: f":cite:p:`{m.group(1)}`", line)


def _public_signature(app, what, name, obj, options, signature, return_annotation):
    """Hide private constructor arguments (``_name``, internal pytree rebuilding) from headings."""
    if what != "class" or not signature or "_" not in signature:
        return None
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in sig.parameters.values()
        if not p.name.startswith("_")
    ]
    if len(params) == len(sig.parameters):
        return None
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty)), None


def setup(app):
    app.connect("autodoc-process-docstring", _cite_keys_to_roles)
    app.connect("autodoc-process-signature", _public_signature)
