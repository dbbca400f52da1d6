"""The version the app shows (inspector.__version__, a constant for a quick start) is the
release's: the one in pyproject.toml and in the installed package's metadata."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import inspector


def test_the_version_constant_is_the_releases() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert inspector.__version__ == project["project"]["version"]
    assert inspector.__version__ == metadata.version("inspector")
