"""Fixtures of the power-loss tests: the powerfs binary, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.powerloss.powerfs import build


@pytest.fixture(scope="session")
def powerfs_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("powerfs-build"))
