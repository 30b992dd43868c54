"""``python -m jackfield ...`` runs the ``jackfield`` command."""

from __future__ import annotations

import sys

from .runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
