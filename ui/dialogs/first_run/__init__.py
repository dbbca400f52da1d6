"""The first-run assistant (see `assistant`), and the steps it is made of (see `steps`)."""

from __future__ import annotations

from ui.dialogs.first_run.assistant import FirstRunAssistant, install_menu_action, offer_first_run, open_first_run
from ui.dialogs.first_run.steps import SetupData, read_setup

__all__ = ["FirstRunAssistant", "SetupData", "install_menu_action", "offer_first_run", "open_first_run",
           "read_setup"]
