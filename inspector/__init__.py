"""Inspector core: the product's domain, storage and services, in plain Python (no Qt)."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("inspector")
except metadata.PackageNotFoundError:  # running from a source tree or a frozen build
    __version__ = "0.1.0"
