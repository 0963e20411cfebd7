"""``python -m nn``: the same as the ``netgrad`` command."""

import sys

from .cli import main

sys.exit(main())
