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

__all__ = ["SCHEMA", "case_key", "compare", "load", "save"]

SCHEMA = 1


def save(run: dict, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=1, sort_keys=False) + "\n")
    return path


def load(path) -> dict:
    run = json.loads(Path(path).read_text())
    if run.get("schema") != SCHEMA:
        raise ValueError(f"{path}: results schema {run.get('schema')!r}, expected {SCHEMA}")
    return run


def case_key(case: dict) -> tuple:
    return (case["suite"], case["name"], case["size_label"], case["size"], case["dtype"])


def _gmath_median(case: dict):
    for rec in case.get("impls", {}).values():
        if rec.get("role") == "gmath":
            return rec.get("median_s")
    return None


def compare(old: dict, new: dict, *, threshold: float = 1.25) -> tuple[list[str], int]:
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
