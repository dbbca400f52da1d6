"""`python -m tests.benchmarks [--quick] [name …]`: run benchmarks and print the report."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import shutil
import sys
import tempfile
from pathlib import Path

import tests.benchmarks as pkg
from tests.benchmarks.harness import report
from tests.keyring_file import use_file_keyring


def available() -> list[str]:
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules(pkg.__path__)
                  if m.name.startswith("bench_"))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("names", nargs="*", help=f"which benchmarks (default all): {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args()
    names = args.names or available()
    # Data directories are encrypted; like a laptop with an OS key store, the key comes from a
    # keyring (the tests' file-backed one: no Secret Service here), so no passphrase KDF at start.
    # The passphrase unlock is measured on its own (bench_store).
    keyring_dir = Path(tempfile.mkdtemp(prefix="inspector-bench-keyring-"))
    use_file_keyring(keyring_dir)
    results = []
    for name in names:
        module = importlib.import_module(f"tests.benchmarks.bench_{name}")
        print(f"running {name}…", file=sys.stderr, flush=True)
        results += module.run(args.quick)
    print(report(results))
    shutil.rmtree(keyring_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
