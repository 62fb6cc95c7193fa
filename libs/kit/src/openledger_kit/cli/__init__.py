"""The ``openledger`` command: ``up``, ``down``, ``status``, ``demo``, ``version``, plus the
sub-commands that other packages register in the ``openledger.cli`` entry-point group."""

from openledger_kit.cli.app import CLI_GROUP, create_app, main

__all__ = ["CLI_GROUP", "create_app", "main"]
