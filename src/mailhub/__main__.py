"""``python -m mailhub`` is the ``mailhub`` command."""

from mailhub.cli import main

main()
