"""``python -m openledger_kit.cli``: the same as the ``openledger`` console script."""

from openledger_kit.cli.app import main

main()
