"""Inspector core: the product's domain, storage and services, in plain Python (no Qt)."""

from __future__ import annotations

# The release's version, as in pyproject.toml (tests/core/test_version.py keeps the two equal).
# A constant, not importlib.metadata: that import (csv, email, zipfile) is ~40 ms of every start.
__version__ = "0.1.0"
