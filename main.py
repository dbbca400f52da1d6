"""Start the Inspector desktop app: `python main.py [--data-dir DIR]`."""

from __future__ import annotations

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
