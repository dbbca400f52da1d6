"""Where things live on disk: the bundled resources and the per-user data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Inspector"
APP_AUTHOR = "Inspector"
DATA_DIR_ENV = "INSPECTOR_DATA_DIR"


def resources_dir() -> Path:
    """The `resources/` folder, both from a source checkout and from a PyInstaller build."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def default_data_dir() -> Path:
    """The per-user application data directory (local, never a roaming or synced folder)."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir` wins, then `INSPECTOR_DATA_DIR`, then the per-user default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()
