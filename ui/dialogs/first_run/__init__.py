"""The first-run assistant: `entry` (what start-up needs), `assistant` (the dialog), `steps` (its pages)."""

from __future__ import annotations

from ui.dialogs.first_run.entry import install_menu_action, offer_first_run, open_first_run

__all__ = ["install_menu_action", "offer_first_run", "open_first_run"]
