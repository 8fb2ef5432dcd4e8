"""``python -m auknow``: the same as the ``auknow`` command."""

from .cli import main

raise SystemExit(main())
