"""Every benchmark still runs (at small sizes). Timings are not judged here: benchmarks report
their figures with same-run baselines through `./dev bench`, they are not timed unit tests."""

from __future__ import annotations

import importlib

import pytest

from tests.benchmarks.__main__ import available
from tests.benchmarks.harness import report


@pytest.mark.parametrize("name", available())
def test_benchmark_runs_in_quick_mode(name: str) -> None:
    results = importlib.import_module(f"tests.benchmarks.bench_{name}").run(quick=True)
    assert results
    for r in results:
        assert r.value > 0 and r.baseline > 0, r
    assert "baseline" in report(results)
