from __future__ import annotations

import sys

if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        # The command line signs inline (Worker.inline); should a spawned child ever run this
        # executable of the installed build, it does its job and exits here.
        import multiprocessing

        multiprocessing.freeze_support()
    from inspector.cli import main

    sys.exit(main())
