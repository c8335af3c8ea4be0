"""Shared helpers of the benchmark scripts: timing, machine description, JSON and tables.

    from benchutil import median_time, machine, versions, write_json, markdown_table
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Callable, Sequence

RESULTS = Path(__file__).resolve().parent / "results"


def timed(function: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Call `function` `repeats` times; returns (wall-clock seconds of each call, last result)."""
    times, result = [], None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def median_time(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall-clock seconds of `repeats` calls, and the last call's result."""
    times, result = timed(function, repeats)
    return statistics.median(times), result


def loop_time(function: Callable[[], object], *, min_seconds: float = 0.2, rounds: int = 5) -> float:
    """Seconds per call of a fast `function`: median over `rounds` of loops lasting >= min_seconds."""
    start = time.perf_counter()
    function()
    once = max(time.perf_counter() - start, 1e-7)
    count = max(1, int(min_seconds / once))
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(count):
            function()
        results.append((time.perf_counter() - start) / count)
    return statistics.median(results)


def machine() -> dict:
    """CPU model (from /proc/cpuinfo), core counts, memory, OS and Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "memory_gb": memory_gb,
            "os": platform.platform(), "python": platform.python_version()}


def ngspice_version() -> str | None:
    """ngspice's version line (e.g. "ngspice-39"), or None where it is not installed."""
    path = shutil.which("ngspice")
    if path is None:
        return None
    try:
        out = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        if "ngspice-" in line:
            return line.strip(" *").split(":")[0].strip()
    return out.strip() or None


def versions(*modules: str) -> dict:
    """Versions of the named Python modules (None where missing), plus ngspice."""
    import importlib

    result = {}
    for name in modules:
        try:
            result[name] = getattr(importlib.import_module(name), "__version__", "unknown")
        except ImportError:
            result[name] = None
    result["ngspice"] = ngspice_version()
    return result


def git_state(root: str | Path | None = None) -> dict:
    """The commit the benchmark ran at and the tracked files modified in the working tree."""
    root = Path(root or Path(__file__).resolve().parent.parent)

    def git(*words):
        try:
            return subprocess.run(["git", *words], cwd=root, capture_output=True, text=True,
                                  timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    modified = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "HEAD") or None, "modified": modified}


def numba_threads() -> int | None:
    try:
        import numba
        return int(numba.get_num_threads())
    except Exception:  # pragma: no cover - numba missing
        return None


def write_json(path: str | Path, payload: dict) -> Path:
    """Write `payload` as indented JSON (atomically); creates the parent folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=_plain) + "\n")
    tmp.replace(path)
    return path


def _plain(value):
    try:
        import numpy as np
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table (right-aligned columns but the first)."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|")

    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(map(cell, header)) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table for the terminal."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    lines = []
    for i, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_seconds(seconds: float | None) -> str:
    """Seconds in a readable unit ('-' for None)."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "-"
    ratio = numerator / denominator
    return f"{ratio:.3g}x"
