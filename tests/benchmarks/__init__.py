"""Benchmarks: each prints its figure next to a baseline measured in the same run, as a ratio.

Run them with `./dev bench [name …]` (or `python -m tests.benchmarks`). Each module `bench_*.py`
exposes `run(quick: bool) -> list[Result]`. `quick=True` uses small sizes so the test suite can
check that every benchmark still runs (without judging its timings, which are not unit tests).
"""
