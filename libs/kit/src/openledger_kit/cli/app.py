"""The root ``openledger`` Typer app and the console-script entry point.

Another package adds a command group without editing this one::

    # openledger_datanet/cli.py
    app = typer.Typer(help="Datanets: create, list, contribute.")

    # pyproject.toml
    [project.entry-points."openledger.cli"]
    datanet = "openledger_datanet.cli:app"       # -> `openledger datanet ...`
"""

from __future__ import annotations

from importlib.metadata import distributions

import typer

from openledger_kit import __version__
from openledger_kit.cli.demo import demo
from openledger_kit.cli.platform import down, status, up
from openledger_kit.localnet.plugins import PluginError, load_plugins

CLI_GROUP = "openledger.cli"


def version() -> None:
    """Print the version of every installed OpenLedger package."""
    typer.echo(f"openledger {__version__}")
    found = {
        dist.metadata["Name"]: dist.version
        for dist in distributions()
        if (dist.metadata["Name"] or "").lower().startswith("openledger")
    }
    for name in sorted(found):
        typer.echo(f"  {name} {found[name]}")


def create_app() -> typer.Typer:
    """The CLI: built-in commands, then one sub-app per ``openledger.cli`` entry point.

    A plugin that fails to load is reported on stderr and left out, so one broken package
    does not take the whole command (and ``openledger down``) with it.
    """
    app = typer.Typer(
        name="openledger",
        help="OpenLedger: run the local platform and talk to its services.",
        no_args_is_help=True,
        add_completion=False,
    )
    for command in (up, down, status, demo, version):
        app.command()(command)
    builtin = {"up", "down", "status", "demo", "version"}
    for plugin in load_plugins(CLI_GROUP, on_error=_warn):
        if plugin.name in builtin:
            typer.echo(f"warning: {CLI_GROUP} entry point {plugin.name!r} is built in", err=True)
        elif isinstance(plugin.value, typer.Typer):
            app.add_typer(plugin.value, name=plugin.name)
        else:
            typer.echo(
                f"warning: {CLI_GROUP} entry point {plugin.name!r} ({plugin.target}) "
                "is not a typer.Typer",
                err=True,
            )
    return app


def _warn(error: PluginError) -> None:
    typer.echo(f"warning: {error}", err=True)


def main() -> None:
    """Console-script entry point (``openledger``)."""
    create_app()(prog_name="openledger")
