"""Shared pieces of the benchmarks: timing, percentiles, and the printed report."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str          # what was measured, e.g. "record one finding, p99"
    value: float       # the figure, in `unit`
    baseline: float    # the same-run baseline, in `unit`
    unit: str          # "ms", "s", "MB/s"…
    baseline_name: str  # what the baseline is, e.g. "raw sqlite3 insert+commit, p99"
    target: str        # the target in words, e.g. "≤ 3× baseline"
    met: bool          # whether the target is met in this run

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall time of each call, in milliseconds."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(fn, repeat))


def report(results: list[Result]) -> str:
    lines = []
    header = f"{'benchmark':46} {'figure':>12} {'baseline':>12} {'ratio':>7}  target"
    lines.append(header)
    lines.append("-" * len(header))
    for r in results:
        status = "met" if r.met else "MISSED"
        lines.append(
            f"{r.name:46} {r.value:>9.2f} {r.unit:<2} {r.baseline:>9.2f} {r.unit:<2} {r.ratio:>6.2f}×"
            f"  {r.target} [{status}]  (baseline: {r.baseline_name})"
        )
    return "\n".join(lines)
