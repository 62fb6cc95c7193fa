"""Loading extensions that other packages register through entry points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from openledger_kit.errors import FailedPrecondition


class PluginError(FailedPrecondition):
    """An entry point could not be loaded; names the group, the entry point and its target."""

    default_reason = "PLUGIN_LOAD_FAILED"


@dataclass(frozen=True)
class Plugin:
    """A loaded entry point: its name, where it points (``module:attr``) and the object."""

    name: str
    target: str
    value: object


def load_plugins(group: str, on_error: Callable[[PluginError], None] | None = None) -> list[Plugin]:
    """Every entry point of ``group``, loaded, sorted by name (a stable order across installs).

    One that fails to load raises ``PluginError``, or, given ``on_error``, is passed to it and
    left out.
    """
    plugins = []
    for ep in sorted(entry_points(group=group), key=lambda ep: ep.name):
        try:
            value = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import error of a plugin is reported alike
            error = PluginError(
                f"entry point {ep.name!r} of {group} ({ep.value}) failed to load: {exc}",
                domain="openledger.localnet",
                metadata={"group": group, "name": ep.name, "target": ep.value},
            )
            if on_error is None:
                raise error from exc
            on_error(error)
            continue
        plugins.append(Plugin(name=ep.name, target=ep.value, value=value))
    return plugins
