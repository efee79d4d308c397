"""Cases, implementations, timing and agreement checks.

A *case* is one workload at one size (``Case``). Building it (lazily, so that skipped cases cost
nothing) gives the *implementations* to compare (``Impl``): gmath's, each peer's, and the
device-limit comparators such as a same-size elementwise pass. ``run_case`` then

1. compiles each JAX implementation (lowering and compilation timed separately) and runs it once;
2. checks every peer's output against gmath's (a fast wrong answer is not a result: a peer or a
   gmath output that disagrees is reported, and no ratio is formed from it);
3. times the implementations that agree: warm-ups, then repeats until both a minimum count and a
   time budget are reached, each call ending in ``jax.block_until_ready``; median, quartiles and
   minimum are kept;
4. forms the ratios (peer time / gmath time, gmath time / limit time) and each implementation's
   fraction of the roofline (the time the device's bandwidth, exp or FLOP throughput allows for the
   case's work, over the measured time).
"""

from __future__ import annotations

import dataclasses
import gc
import math
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from benchmarks.results import CaseRecord

__all__ = [
    "Case",
    "Impl",
    "TimingConfig",
    "Unavailable",
    "recompute_roofline",
    "require",
    "run_case",
    "time_callable",
    "x64",
]


class Unavailable(Exception):
    """Raised while building a case or an implementation that cannot run (missing function/peer)."""


def require(module: str, *names: str):
    """Import ``module`` and return it, or the attributes ``names`` of it (one or a tuple).

    Raises:
      Unavailable: the module does not import or lacks a name; the message says which, so the
        report can show "skipped: gmath.divergences.sinkhorn not available yet".
    """
    import importlib

    try:
        mod = importlib.import_module(module)
    except Exception as e:  # ImportError, or a peer broken by this jax version
        msg = str(e).splitlines()[0][:160] if str(e) else ""
        raise Unavailable(
            f"{module} is not installed or does not import ({type(e).__name__}: {msg})"
        ) from e
    if not names:
        return mod
    out = []
    for name in names:
        obj = mod
        for part in name.split("."):
            if not hasattr(obj, part):
                raise Unavailable(f"{module}.{name} is not available (yet)")
            obj = getattr(obj, part)
        out.append(obj)
    return out[0] if len(out) == 1 else tuple(out)


@dataclasses.dataclass
class Impl:
    """One implementation of a case's workload.

    Attributes:
      name: label in tables and plots, e.g. ``"gmath"``, ``"numpyro"``, ``"x*2+1 pass"``.
      fn: the callable, run as ``fn(*args)``; ``None`` with ``skip`` set.
      args: its positional arguments (arrays), built once outside the timed region.
      role: ``"gmath"`` (the subject; one per case), ``"peer"`` (checked for agreement against
        gmath, ratio = its time / gmath's), ``"variant"`` (another gmath method or option, timed
        beside the subject, checked only with ``check``, no ratio) or ``"limit"`` (a device-limit
        comparator, not checked, ratio = gmath's time / its time).
      kind: ``"jax"`` (jitted here: lowering and compilation timed apart from running) or
        ``"python"`` (called as is: numpy/scipy peers, or JAX code with its own jit; the first
        call is reported as the warm-up/compile figure).
      output: maps the function's result to what is compared (default: all array leaves).
      extra: maps the function's result to a dict of extra figures (iterations, errors...).
      donate: for a ``"jax"`` limit pass ``x -> f(x)`` of one argument: donate the buffer and chain
        calls, measuring bandwidth without allocating a fresh output each time.
      rtol, atol: agreement tolerances for this peer (default: the case's).
      work: overrides the case's ``work`` for this implementation: a dict, or a function of the
        result giving one (an iterative solver's work depends on its iteration count).
      items: overrides the case's items per call.
      skip: the reason this implementation cannot run (shown in the report).
      note: a remark shown in the report.
      max_repeats: cap on timed repeats (slow peers).
      single_call: the measurement is the one call made after ahead-of-time compilation (for
        ``"jax"``) or the first call (for ``"python"``): no warm-ups or repeats, for sizes where
        one call takes minutes. Reported with ``repeats = 1`` and no spread.
      check: ``(gmath_result, result) -> {"ok": bool, ...}``, a custom agreement test (stochastic
        estimates, iterative solvers stopped by different criteria) replacing the elementwise one.
    """

    name: str
    fn: Callable | None = None
    args: tuple = ()
    role: str = "peer"
    kind: str = "jax"
    output: Callable | None = None
    extra: Callable | None = None
    donate: bool = False
    rtol: float | None = None
    atol: float | None = None
    work: dict | None = None
    items: float | None = None
    skip: str | None = None
    note: str | None = None
    max_repeats: int | None = None
    single_call: bool = False
    check: Callable | None = None


@dataclasses.dataclass
class Case:
    """One workload at one size.

    Attributes:
      suite: suite name (``"densities"``...).
      name: workload name, shared by all sizes of a sweep (``"normal_log_prob"``).
      size: the swept size (x axis of the plots).
      build: ``() -> list[Impl]``, creating inputs lazily; may raise :class:`Unavailable`.
      title: human description (``"Normal log_prob, float32"``).
      size_label: what ``size`` counts (``"n"``, ``"d"``, ``"batch"``).
      params: other parameters, recorded in the results.
      dtype: the dtype of the workload.
      work: ``{"bytes": ..., "flops": ..., "exps": ...}`` per call, for the roofline.
      items: work items per call (points, games, steps) for a throughput figure.
      items_label: what an item is (``"points"``, ``"games"``).
      rtol, atol: default agreement tolerances.
      memory: record peak memory (XLA's memory analysis, or tracemalloc for Python peers).
      post: ``record -> None``, adds derived figures to the finished record (e.g. the time an
        estimator needs for a given error).
    """

    suite: str
    name: str
    size: int
    build: Callable[[], Sequence[Impl]]
    title: str = ""
    size_label: str = "n"
    params: dict = dataclasses.field(default_factory=dict)
    dtype: str = "float32"
    work: dict | None = None
    items: float | None = None
    items_label: str | None = None
    rtol: float = 1e-5
    atol: float = 1e-6
    memory: bool = True
    post: Callable[[dict], None] | None = None

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.name}/{self.size_label}={self.size}"


@dataclasses.dataclass(frozen=True)
class TimingConfig:
    """How much to repeat: at least ``min_repeats`` timed calls, then more until ``budget_s`` of
    timed calls or ``max_repeats``, after ``warmup`` untimed calls (the first call included)."""

    min_repeats: int = 5
    max_repeats: int = 50
    budget_s: float = 1.0
    warmup: int = 2


# ----------------------------------------------------------------------------- timing
def _block(x):
    import jax

    return jax.block_until_ready(x)


def _memory_from_xla(compiled) -> dict | None:
    try:
        ma = compiled.memory_analysis()
    except Exception:
        return None
    if ma is None:
        return None
    get = lambda k: int(getattr(ma, k, 0) or 0)
    temp, out, arg = (
        get("temp_size_in_bytes"),
        get("output_size_in_bytes"),
        get("argument_size_in_bytes"),
    )
    return {
        "source": "xla memory_analysis",
        "temp_bytes": temp,
        "output_bytes": out,
        "argument_bytes": arg,
        "peak_bytes": temp + out,
    }


def time_callable(call: Callable[[], Any], timing: TimingConfig, max_repeats: int | None = None):
    """Time ``call()`` (which must block until its result is ready) as configured.

    Returns:
      ``(times, last_output)``: the list of timed durations in seconds and the last result.
    """
    out = None
    for _ in range(max(timing.warmup - 1, 0)):
        out = call()
    cap = timing.max_repeats if max_repeats is None else min(timing.max_repeats, max_repeats)
    times: list[float] = []
    total = 0.0
    while len(times) < min(timing.min_repeats, cap) or (
        len(times) < cap and total < timing.budget_s
    ):
        t0 = time.perf_counter()
        out = call()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    return times, out


def _summary(times: Sequence[float]) -> dict:
    a = np.asarray(times, dtype=np.float64)
    med = float(np.median(a))
    q25, q75 = (float(v) for v in np.percentile(a, [25, 75]))
    return {
        "median_s": med,
        "min_s": float(a.min()),
        "q25_s": q25,
        "q75_s": q75,
        "spread": (q75 - q25) / med if med > 0 else 0.0,
        "repeats": len(times),
        "times_s": [float(f"{t:.4g}") for t in a],
    }


class _Prepared:
    """An implementation compiled and run once: its first output and its compile figures."""

    def __init__(self, impl: Impl):
        self.impl = impl
        self.record: dict[str, Any] = {"role": impl.role, "kind": impl.kind, "status": "ok"}
        if impl.note:
            self.record["note"] = impl.note
        self.call: Callable[[], Any] | None = None
        self.output: Any = None

    def prepare(self, want_memory: bool) -> None:
        impl = self.impl
        if impl.kind == "jax":
            import jax

            donate = (0,) if impl.donate else ()
            jitted = jax.jit(impl.fn, donate_argnums=donate)
            t0 = time.perf_counter()
            lowered = jitted.lower(*impl.args)
            t1 = time.perf_counter()
            compiled = lowered.compile()
            t2 = time.perf_counter()
            self.record["lower_s"] = t1 - t0
            self.record["compile_s"] = t2 - t0
            if want_memory:
                mem = _memory_from_xla(compiled)
                if mem is not None:
                    self.record["memory"] = mem
            if impl.donate:
                state = [jax.numpy.array(impl.args[0], copy=True)]

                def call():
                    state[0] = compiled(state[0])
                    return _block(state[0])
            else:
                args = impl.args

                def call():
                    return _block(compiled(*args))

            t0 = time.perf_counter()
            self.output = call()
            self.record["first_call_s"] = time.perf_counter() - t0
        else:
            args = impl.args
            fn = impl.fn

            def call():
                return _block(fn(*args))

            t0 = time.perf_counter()
            self.output = call()
            self.record["first_call_s"] = time.perf_counter() - t0
            if want_memory:
                gc.collect()
                tracemalloc.start()
                try:
                    self.output = call()
                    _, peak = tracemalloc.get_traced_memory()
                finally:
                    tracemalloc.stop()
                self.record["memory"] = {"source": "tracemalloc (host)", "peak_bytes": int(peak)}
        self.call = call
        if impl.extra is not None:
            self.record["extra"] = _jsonable(impl.extra(self.output))


def _leaves(x) -> list[np.ndarray]:
    import jax

    return [np.asarray(v, dtype=np.float64) for v in jax.tree_util.tree_leaves(x)]


def _agreement(ref: list[np.ndarray], got: list[np.ndarray], rtol: float, atol: float) -> dict:
    if len(ref) != len(got):
        return {"ok": False, "reason": f"{len(got)} outputs against gmath's {len(ref)}"}
    max_abs = max_rel = 0.0
    ok = True
    for r, g in zip(ref, got, strict=True):
        try:
            r, g = np.broadcast_arrays(r, g)
        except ValueError:
            return {"ok": False, "reason": f"shapes {g.shape} and gmath's {r.shape} differ"}
        if r.size == 0:
            continue
        both_inf = np.isinf(r) & (r == g)
        diff = np.where(both_inf, 0.0, np.abs(r - g))
        if not np.all(np.isfinite(diff)):
            return {"ok": False, "reason": "non-finite difference (NaN or inf mismatch)"}
        max_abs = max(max_abs, float(diff.max()))
        # relative to |r|, floored at the magnitude where the two tolerances cross (atol / rtol):
        # a log-density near its zero crossing has no meaningful relative error
        floor = atol / rtol if rtol > 0 else 1e-300
        scale = np.where(both_inf, 1.0, np.maximum(np.abs(r), floor))
        max_rel = max(max_rel, float((diff / scale).max()))
        ok &= bool(np.all(diff <= atol + rtol * np.where(both_inf, 0.0, np.abs(r))))
    return {"ok": ok, "max_abs_err": max_abs, "max_rel_err": max_rel, "rtol": rtol, "atol": atol}


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, bool | str) or x is None:
        return x
    try:
        a = np.asarray(x)
    except Exception:
        return str(x)
    if a.ndim == 0:
        v = a.item()
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        return v
    return [_jsonable(v) for v in a.tolist()]


def roofline_bound(work: dict | None, limits: dict | None, dtype: str) -> dict | None:
    """The fastest time the device's limits allow for ``work``, and which limit binds."""
    if not work or not limits:
        return None
    per = limits.get("dtypes", {}).get(dtype) or limits.get("dtypes", {}).get("float32") or {}
    rates = {
        "bytes": ("memory bandwidth", limits.get("bandwidth_Bps")),
        "exps": ("exp throughput", per.get("exps_per_s")),
        "flops": ("FLOP throughput", per.get("flops_per_s")),
    }
    best = None
    for k, amount in work.items():
        if k not in rates or not amount:
            continue
        label, rate = rates[k]
        if not rate:
            continue
        t = float(amount) / float(rate)
        if best is None or t > best["seconds"]:
            best = {"resource": label, "seconds": t}
    return best


def recompute_roofline(rec: dict, limits: dict) -> None:
    """Redo a case record's roofline fractions with (re-measured) ``limits``, in place."""
    for r in rec["impls"].values():
        work = r.get("work") or rec.get("work")
        bound = roofline_bound(work, limits, rec["dtype"]) if r.get("median_s") else None
        if bound:
            r["roofline"] = {**bound, "fraction": bound["seconds"] / r["median_s"]}
            if r.get("role") == "gmath":
                rec["roofline_fraction"] = r["roofline"]["fraction"]


def x64(enabled: bool):
    """Context in which 64-bit types are on or off: float64 cases run with x64, float32 cases
    without it, as users run them (JAX's default)."""
    import contextlib

    import jax

    ctx = getattr(jax, "enable_x64", None)
    if ctx is None:  # older jax
        from jax.experimental import disable_x64, enable_x64

        return enable_x64() if enabled else disable_x64()
    try:
        return ctx(enabled)
    except TypeError:
        return contextlib.nullcontext()


def run_case(case: Case, timing: TimingConfig, limits: dict | None = None, log=None) -> CaseRecord:
    """Run one case end to end and return its JSON-ready record (see the module docstring).

    The case runs with 64-bit types enabled exactly when its dtype is float64."""
    with x64(case.dtype == "float64"):
        return cast(CaseRecord, _run_case(case, timing, limits, log))


def _run_case(case: Case, timing: TimingConfig, limits: dict | None, log) -> dict:
    log = log or (lambda msg: None)
    rec: dict[str, Any] = {
        "suite": case.suite,
        "name": case.name,
        "title": case.title or case.name,
        "size": case.size,
        "size_label": case.size_label,
        "params": _jsonable(case.params),
        "dtype": case.dtype,
        "status": "ok",
        "impls": {},
        "ratios": {},
        "notes": [],
    }
    if case.work:
        rec["work"] = _jsonable(case.work)
    if case.items:
        rec["items"] = case.items
        rec["items_label"] = case.items_label
    try:
        impls = list(case.build())
    except Unavailable as e:
        rec["status"] = "skipped"
        rec["notes"].append(str(e))
        return rec
    except Exception as e:  # a broken case must not take the run down
        rec["status"] = "error"
        rec["notes"].append(f"error while building the case: {type(e).__name__}: {e}")
        return rec

    # inputs are built by asynchronously dispatched JAX calls: wait for them, or the first call
    # (the whole measurement of a single-call case) would include generating them
    _block([impl.args for impl in impls])
    prepared: dict[str, _Prepared] = {}
    for impl in impls:
        p = _Prepared(impl)
        rec["impls"][impl.name] = p.record
        if impl.skip or impl.fn is None:
            p.record["status"] = "skipped"
            p.record["note"] = impl.skip or "not available"
            continue
        log(f"compiling {impl.name}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p.prepare(case.memory)
        except Exception as e:
            p.record["status"] = "error"
            p.record["note"] = (
                f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
            )
            continue
        prepared[impl.name] = p

    subject = next((p for p in prepared.values() if p.impl.role == "gmath"), None)
    gmath_impl = next((i for i in impls if i.role == "gmath"), None)
    if subject is None:
        rec["status"] = "skipped" if gmath_impl is None or gmath_impl.skip else "error"
        why = (
            (gmath_impl.skip or rec["impls"].get(gmath_impl.name, {}).get("note"))
            if gmath_impl
            else None
        )
        rec["notes"].append(f"gmath implementation did not run: {why or 'missing'}")

    # -- agreement before timing
    if subject is not None:
        ref = _leaves((subject.impl.output or (lambda o: o))(subject.output))
        for p in prepared.values():
            if p.impl.role not in ("peer", "variant") or (
                p.impl.role == "variant" and p.impl.check is None
            ):
                continue
            try:
                if p.impl.check is not None:
                    agr = _jsonable(p.impl.check(subject.output, p.output))
                    agr["ok"] = bool(agr["ok"])
                    p.record["agreement"] = agr
                    if not agr["ok"]:
                        p.record["status"] = "disagrees"
                        rec["notes"].append(
                            f"{p.impl.name} disagrees with gmath ({agr}): not timed"
                        )
                    continue
                got = _leaves((p.impl.output or (lambda o: o))(p.output))
                agr = _agreement(
                    ref,
                    got,
                    case.rtol if p.impl.rtol is None else p.impl.rtol,
                    case.atol if p.impl.atol is None else p.impl.atol,
                )
            except Exception as e:
                agr = {"ok": False, "reason": f"{type(e).__name__}: {e}"}
            p.record["agreement"] = agr
            if not agr["ok"]:
                p.record["status"] = "disagrees"
                why = agr.get("reason") or "max rel err {:.3g}".format(agr["max_rel_err"])
                rec["notes"].append(f"{p.impl.name} disagrees with gmath ({why}): not timed")

    # -- timing, interleaved: one call of each implementation per round, so that a change of
    # load on a shared machine falls on all of them alike and the ratios stay fair
    active = [p for p in prepared.values() if p.record["status"] == "ok"]
    times: dict[str, list[float]] = {p.impl.name: [] for p in active}
    for p in [p for p in active if p.impl.single_call]:
        times[p.impl.name].append(p.record["first_call_s"])
        p.record["single_call"] = True
        active.remove(p)
    spent = dict.fromkeys(times, 0.0)

    def cap(p):
        m = p.impl.max_repeats
        return timing.max_repeats if m is None else min(m, timing.max_repeats)

    for p in list(active):
        log(f"warming up {p.impl.name}")
        try:
            for _ in range(max(timing.warmup - 1, 0) if cap(p) > 2 else 0):
                p.call()
        except Exception as e:
            p.record["status"] = "error"
            p.record["note"] = f"{type(e).__name__}: {e}"
            active.remove(p)
    rounds = 0
    while active:
        rounds += 1
        log(f"timing round {rounds}")
        shift = (rounds - 1) % len(active)  # rotate who goes first: no seat is favoured
        for p in active[shift:] + active[:shift]:
            name = p.impl.name
            try:
                t0 = time.perf_counter()
                p.call()
                dt = time.perf_counter() - t0
            except Exception as e:
                p.record["status"] = "error"
                p.record["note"] = f"{type(e).__name__}: {e}"
                active.remove(p)
                continue
            times[name].append(dt)
            spent[name] += dt
            k = len(times[name])
            if k >= cap(p) or (k >= timing.min_repeats and spent[name] >= timing.budget_s):
                active.remove(p)
    for p in prepared.values():
        name = p.impl.name
        if p.record["status"] != "ok" or not times.get(name):
            continue
        p.record.update(_summary(times[name]))
        items = p.impl.items or case.items
        if items:
            p.record["throughput_per_s"] = items / p.record["median_s"]
        work = p.impl.work or case.work
        if callable(work):
            try:
                work = work(p.output)
                p.record["work"] = _jsonable(work)
            except Exception:
                work = None
        bound = roofline_bound(work, limits, case.dtype)
        if bound:
            p.record["roofline"] = {**bound, "fraction": bound["seconds"] / p.record["median_s"]}
        if p.impl.kind == "python" and "first_call_s" in p.record:
            p.record["warmup_overhead_s"] = max(
                p.record["first_call_s"] - p.record["median_s"], 0.0
            )
    for p in prepared.values():
        p.call = None  # free the inputs captured by the closures early
        p.output = None

    # -- ratios
    g = rec["impls"].get(subject.impl.name) if subject is not None else None
    if g is not None and g.get("median_s"):
        items = {i.name: i.items or case.items or 1 for i in impls}
        gt = g["median_s"] / items[subject.impl.name]
        for name, r in rec["impls"].items():
            if r is g or not r.get("median_s"):
                continue
            t = r["median_s"] / items[name]  # time per item: peers may do fewer items per call
            if r["role"] == "peer":
                rec["ratios"][name] = {"type": "speedup", "value": t / gt}
            elif r["role"] == "limit":
                rec["ratios"][name] = {"type": "time_over_limit", "value": gt / t}
        bound = g.get("roofline")
        if bound:
            rec["roofline_fraction"] = bound["fraction"]
    elif subject is not None and rec["status"] == "ok":
        rec["status"] = "error"
    if case.post is not None:
        try:
            case.post(rec)
        except Exception as e:
            rec["notes"].append(f"derived figures failed: {type(e).__name__}: {e}")
    return rec
