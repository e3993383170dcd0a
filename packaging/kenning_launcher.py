"""Entry script for the PyInstaller bundle: the same ``main`` as the ``kenning`` console script.

It lives outside the packages so PyInstaller does not put ``desktop/`` itself on the
analysis path (which would make ``cli``, ``settings``... importable as top-level modules).
"""

import multiprocessing
import sys

from desktop.cli import main

if __name__ == "__main__":
    # A frozen app re-executes itself for any multiprocessing child; this makes such a child
    # run the child's work instead of starting another Kenning.
    multiprocessing.freeze_support()
    sys.exit(main())
