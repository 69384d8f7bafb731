"""``python -m mbo_component`` runs the ``mbo-dns`` command."""
import sys

from .cli import main

sys.exit(main())
