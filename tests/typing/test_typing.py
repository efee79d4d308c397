"""The typed user file type-checks clean under mypy and pyright, and runs.

gmath ships ``py.typed``: a user's type checker reads gmath's annotations. ``user_code.py``
uses the public API as a researcher would (constructors, divergences, a sampler, game solvers)
with declared and asserted types; both checkers must accept it with no error and no warning.
The configuration is the project's own (``[tool.mypy]``, ``[tool.pyright]`` in pyproject.toml),
the same one ``make lint`` uses.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USER_CODE = ROOT / "tests" / "typing" / "user_code.py"
PYPROJECT = ROOT / "pyproject.toml"


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env, check=False
    )


def test_user_code_passes_mypy(tmp_path: Path) -> None:
    # errors in gmath's own modules are `make lint`'s business (follow_imports=silent here):
    # this test asks what a user's mypy says about the user's file
    proc = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(PYPROJECT),
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            "--follow-imports=silent",
            str(USER_CODE),
        ],
        cwd=ROOT,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Success: no issues found in 1 source file" in proc.stdout, out


def test_user_code_passes_pyright() -> None:
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")
    proc = _run(
        [
            sys.executable,
            "-m",
            "pyright",
            "--project",
            str(PYPROJECT),
            "--pythonpath",
            sys.executable,
            "--outputjson",
            str(USER_CODE),
        ],
        cwd=ROOT,
        env=env,
    )
    out = proc.stdout + proc.stderr
    report = json.loads(proc.stdout)  # stderr may hold notes (no .venv in this checkout)
    summary = report["summary"]
    messages = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['severity']}: {d['message']}"
        for d in report["generalDiagnostics"]
    ]
    assert summary["filesAnalyzed"] == 1, out
    assert (summary["errorCount"], summary["warningCount"]) == (0, 0), "\n".join(messages)
    assert proc.returncode == 0, out


def test_user_code_runs() -> None:
    # the checked calls are real ones: the script runs, and every result is finite
    spec = importlib.util.spec_from_file_location("gmath_typed_user_code", USER_CODE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert math.isfinite(module.main())
