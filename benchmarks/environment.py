"""What a results file records about where and with what it was measured."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import subprocess
from pathlib import Path

__all__ = ["PEERS", "device_info", "device_slug", "git_revision", "versions"]

#: Distribution names of the peers (and tools) whose versions are recorded.
PEERS = (
    "jax",
    "jaxlib",
    "numpy",
    "scipy",
    "numpyro",
    "ott-jax",
    "pot",
    "nashpy",
    "blackjax",
    "optax",
    "matplotlib",
)


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("gmath", *PEERS):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    try:
        import gmath

        out["gmath"] = getattr(gmath, "__version__", out["gmath"])
    except Exception:
        pass
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_info() -> dict:
    import jax

    dev = jax.devices()[0]
    info = {
        "platform": dev.platform,
        "device_kind": getattr(dev, "device_kind", dev.platform),
        "device_count": jax.device_count(),
        "host_cpu": _cpu_model(),
        "host_cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
    }
    try:
        stats = dev.memory_stats() or {}
        if "bytes_limit" in stats:
            info["memory_bytes"] = int(stats["bytes_limit"])
    except Exception:
        pass
    return info


def device_slug(info: dict) -> str:
    """A file-name-safe, host-name-free descriptor: ``cpu-2core-x86_64``, ``gpu-nvidia-h100-80gb-hbm3``."""
    if info["platform"] == "cpu":
        s = f"cpu-{info.get('host_cores')}core-{info.get('machine')}"
    else:
        s = f"{'gpu' if info['platform'] in ('gpu', 'cuda', 'rocm') else info['platform']}-{info['device_kind']}"
    return re.sub(r"[^a-z0-9_]+", "-", s.lower()).strip("-")


def git_revision(root: str | os.PathLike | None = None) -> dict:
    root = Path(root or Path(__file__).resolve().parent.parent)
    out = {"revision": None, "dirty": None}
    try:
        out["revision"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        out["dirty"] = bool(status.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    return out
