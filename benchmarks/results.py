"""The JSON results file and the comparison of two runs (``--compare-to``).

Schema (``"schema": 1``)::

    {
      "schema": 1, "created": ISO-8601 UTC, "mode": "quick"|"full"|"smoke", "dtype": "float32",
      "note": free text (e.g. "CPU shared with other jobs"),
      "device": {"platform", "device_kind", "device_count", "host_cpu", "host_cores", ...},
      "slug": "cpu-2core-x86_64",
      "versions": {"python", "gmath", "jax", "jaxlib", "numpy", "scipy", "numpyro", ...},
      "git": {"revision", "dirty"},
      "timing": {"min_repeats", "max_repeats", "budget_s", "warmup"},
      "limits": {"bandwidth_Bps", "fresh_output_pass_Bps",
                 "dtypes": {"float32": {"exps_per_s", "flops_per_s"}, ...}},
      "cases": [{
        "suite", "name", "title", "size", "size_label", "params", "dtype",
        "status": "ok"|"skipped"|"error", "notes": [...],
        "work": {"bytes", "flops", "exps"}, "items", "items_label",
        "impls": {NAME: {"role": "gmath"|"peer"|"limit", "kind": "jax"|"python",
                         "status": "ok"|"skipped"|"error"|"disagrees", "note",
                         "median_s", "min_s", "q25_s", "q75_s", "spread", "repeats", "times_s",
                         "compile_s", "lower_s", "first_call_s", "memory": {...},
                         "agreement": {"ok", "max_abs_err", "max_rel_err", "rtol", "atol"},
                         "roofline": {"resource", "seconds", "fraction"},
                         "throughput_per_s", "extra": {...}}},
        "ratios": {NAME: {"type": "speedup"|"time_over_limit", "value"}},
        "roofline_fraction": gmath's fraction of the roofline
      }],
      "wall_s": total seconds
    }

``speedup`` = peer time / gmath time (above 1: gmath is faster); ``time_over_limit`` = gmath time /
the limit comparator's time (1 is the device limit; the Normal target is at most 1.5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypedDict

__all__ = [
    "SCHEMA",
    "CaseRecord",
    "ImplRecord",
    "Ratio",
    "RunRecord",
    "case_key",
    "compare",
    "load",
    "save",
]

SCHEMA = 1


class Ratio(TypedDict):
    """One entry of a case's ``ratios``: a speed-up against a peer or a distance to a limit."""

    type: Literal["speedup", "time_over_limit"]
    value: float


class ImplRecord(TypedDict, total=False):
    """One implementation's figures within a case (absent keys: not measured)."""

    role: Literal["gmath", "peer", "limit", "variant"]
    kind: Literal["jax", "python"]
    status: Literal["ok", "skipped", "error", "disagrees"]
    note: str
    median_s: float
    min_s: float
    q25_s: float
    q75_s: float
    spread: float
    repeats: int
    times_s: list[float]
    compile_s: float
    lower_s: float
    first_call_s: float
    single_call: bool
    memory: dict[str, Any] | None
    agreement: dict[str, Any]
    roofline: dict[str, Any] | None
    throughput_per_s: float
    extra: dict[str, Any]


class CaseRecord(TypedDict, total=False):
    """One benchmark case: its parameters, every implementation's figures and the ratios."""

    suite: str
    name: str
    title: str
    size: int
    size_label: str
    params: dict[str, Any]
    dtype: str
    status: Literal["ok", "skipped", "error"]
    notes: list[str]
    work: dict[str, float] | None
    items: float
    items_label: str
    impls: dict[str, ImplRecord]
    ratios: dict[str, Ratio]
    roofline_fraction: float | None


class RunRecord(TypedDict, total=False):
    """A whole run, as written to the results JSON (schema above)."""

    schema: int
    created: str
    mode: Literal["quick", "full", "smoke"]
    dtype: str
    note: str | None
    max_size: int | None
    xla_flags: str
    suites: list[str]
    device: dict[str, Any]
    slug: str
    versions: dict[str, str | None]
    git: dict[str, Any]
    timing: dict[str, Any]
    limits: dict[str, Any] | None
    cases: list[CaseRecord]
    wall_s: float


def save(run: RunRecord, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=1, sort_keys=False) + "\n")
    return path


def load(path: str | Path) -> RunRecord:
    run = json.loads(Path(path).read_text())
    if run.get("schema") != SCHEMA:
        raise ValueError(f"{path}: results schema {run.get('schema')!r}, expected {SCHEMA}")
    return run


def case_key(case: CaseRecord) -> tuple[str, str, str, int, str]:
    return (case["suite"], case["name"], case["size_label"], case["size"], case["dtype"])


def _gmath_median(case: CaseRecord) -> float | None:
    for rec in case.get("impls", {}).values():
        if rec.get("role") == "gmath":
            return rec.get("median_s")
    return None


def compare(old: RunRecord, new: RunRecord, *, threshold: float = 1.25) -> tuple[list[str], int]:
    """Lines describing how ``new`` differs from ``old``, and the number of regressions.

    A regression is gmath's time growing by more than ``threshold`` times, or a speed-up against a
    peer (or the distance to a limit) worsening by more than ``threshold`` times. Absolute times
    are compared only when both runs name the same device; ratios always.
    """
    same_device = old.get("slug") == new.get("slug")
    old_cases = {case_key(c): c for c in old.get("cases", [])}
    lines: list[str] = []
    regressions = 0
    if not same_device:
        lines.append(
            f"note: devices differ ({old.get('slug')} vs {new.get('slug')}): comparing ratios only"
        )
    for c in new.get("cases", []):
        o = old_cases.get(case_key(c))
        label = f"{c['suite']}/{c['name']} {c['size_label']}={c['size']}"
        if o is None:
            continue
        if same_device:
            t_new, t_old = _gmath_median(c), _gmath_median(o)
            if t_new and t_old:
                r = t_new / t_old
                if r > threshold:
                    regressions += 1
                    lines.append(
                        f"REGRESSION {label}: gmath {t_old:.4g}s -> {t_new:.4g}s ({r:.2f}x slower)"
                    )
                elif r < 1 / threshold:
                    lines.append(
                        f"improved   {label}: gmath {t_old:.4g}s -> {t_new:.4g}s ({1 / r:.2f}x faster)"
                    )
        for peer, rn in c.get("ratios", {}).items():
            ro = o.get("ratios", {}).get(peer)
            if not ro:
                continue
            # larger is better for speedup, smaller is better for time_over_limit
            better_new = rn["value"] if rn["type"] == "speedup" else 1 / rn["value"]
            better_old = ro["value"] if ro["type"] == "speedup" else 1 / ro["value"]
            if better_old / better_new > threshold:
                regressions += 1
                lines.append(
                    f"REGRESSION {label}: vs {peer} {ro['value']:.3g}x -> {rn['value']:.3g}x ({rn['type']})"
                )
    if not lines or all(line.startswith("note") for line in lines):
        lines.append(f"no change beyond {threshold}x against the old run")
    return lines, regressions
