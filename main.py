"""Start the Inspector desktop app: `python main.py [--data-dir DIR]`.

Kept free of imports at module level: the signing worker is a spawned child process, which
runs this file again as `__mp_main__` (and, in the installed build, this executable); it
must not pull in Qt there.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if getattr(sys, "frozen", False):  # the installed build: a spawned child runs its job and exits here
        import multiprocessing

        multiprocessing.freeze_support()
    from ui.app import main

    sys.exit(main())
