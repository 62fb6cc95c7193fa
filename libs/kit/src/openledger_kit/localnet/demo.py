"""``openledger demo``: steps run in order against a running platform, each printing what it did.

Services add steps through the ``openledger.demo`` entry-point group; each entry point is a
``DemoStep``, ordered by ``order`` then name::

    # openledger_datanet/demo.py
    def _run(ctx: DemoContext) -> None:
        ...                                   # call the service at ctx.env("OL_DATANET_ADDR")
        ctx.say("created datanet 'medical-qa' with 3 accepted records")
        ctx.shared["datanet"] = name          # later steps read what earlier ones made

    STEP = DemoStep(name="datanet", title="Contributions and curation", run=_run, order=20,
                    services=("datanet",))

    # pyproject.toml
    [project.entry-points."openledger.demo"]
    datanet = "openledger_datanet.demo:STEP"
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import redis

from openledger_kit.localnet.checks import jsonrpc
from openledger_kit.localnet.components import (
    L1_CHAIN_ID_VAR,
    L1_RPC_URL,
    L2_CHAIN_ID_VAR,
    L2_RPC_URL,
    REDIS_URL,
)
from openledger_kit.localnet.endpoints import Endpoints
from openledger_kit.localnet.plugins import PluginError, load_plugins

DEMO_GROUP = "openledger.demo"

# The services DESIGN.md plans; the demo names those no step covers yet.
PLANNED_SERVICES = ("sequencer", "da", "datanet", "modelfactory", "inference", "attribution")


@dataclass
class DemoContext:
    """What a step gets: the running platform's endpoints, an output and a scratch dict that
    later steps read (``shared``)."""

    endpoints: Endpoints
    out: TextIO
    shared: dict[str, object] = field(default_factory=dict)

    def env(self, key: str) -> str:
        """An exported variable of the running platform, e.g. ``OL_REDIS_URL``."""
        try:
            return self.endpoints.env[key]
        except KeyError:
            raise KeyError(f"{key} is not exported by any running process") from None

    def say(self, text: str) -> None:
        """Print one line of what the step did."""
        print(f"  {text}", file=self.out, flush=True)


@dataclass(frozen=True)
class DemoStep:
    """One demo step. ``services`` names the services it shows (for the "not yet" list)."""

    name: str
    title: str
    run: Callable[[DemoContext], None]
    order: int = 100
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepOutcome:
    step: DemoStep
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _infrastructure(ctx: DemoContext) -> None:
    url = ctx.env(REDIS_URL)
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        pong = client.ping()
        version = client.info("server")["redis_version"]
    finally:
        client.close()
    ctx.say(f"Redis  {url:<34} PING -> {'PONG' if pong else pong} (redis {version})")
    chains = [
        ("L1", L1_RPC_URL, L1_CHAIN_ID_VAR, "mines each transaction"),
        ("L2", L2_RPC_URL, L2_CHAIN_ID_VAR, "--optimism, mines each transaction"),
    ]
    for label, url_var, chain_var, note in chains:
        rpc = ctx.env(url_var)
        chain_id = int(str(jsonrpc(rpc, "eth_chainId", timeout=5)), 16)
        block = int(str(jsonrpc(rpc, "eth_blockNumber", timeout=5)), 16)
        expected = int(ctx.env(chain_var))
        if chain_id != expected:
            raise RuntimeError(f"{label} at {rpc} reports chain id {chain_id}, not {expected}")
        ctx.say(f"{label}     {rpc:<34} chain id {chain_id}, block {block} ({note})")


INFRASTRUCTURE_STEP = DemoStep(
    name="infrastructure",
    title="Redis and both chains are up",
    run=_infrastructure,
    order=0,
)


def demo_steps() -> list[DemoStep]:
    """The built-in step, then every ``openledger.demo`` entry point, by ``order`` then name."""
    steps = [INFRASTRUCTURE_STEP]
    for plugin in load_plugins(DEMO_GROUP):
        if not isinstance(plugin.value, DemoStep):
            raise PluginError(f"entry point {plugin.name!r} of {DEMO_GROUP} is not a DemoStep")
        steps.append(plugin.value)
    return sorted(steps, key=lambda s: (s.order, s.name))


def run_steps(steps: Sequence[DemoStep], ctx: DemoContext) -> list[StepOutcome]:
    """Run ``steps`` in order, printing each; stop at the first that raises."""
    outcomes: list[StepOutcome] = []
    for index, step in enumerate(steps, start=1):
        print(f"\n[{index}/{len(steps)}] {step.name}: {step.title}", file=ctx.out, flush=True)
        try:
            step.run(ctx)
        except Exception as exc:  # noqa: BLE001 - a failed step is reported, not a crash
            ctx.say(f"FAILED: {type(exc).__name__}: {exc}{_where(exc)}")
            outcomes.append(StepOutcome(step, exc))
            break
        outcomes.append(StepOutcome(step))
    return outcomes


def _where(exc: BaseException) -> str:
    """Where the exception was raised (file, line, function), to start looking from."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" (at {last.filename}:{last.lineno} in {last.name})"


def services_not_in_demo(steps: Sequence[DemoStep]) -> list[str]:
    """The planned services no step shows yet."""
    shown = {service for step in steps for service in step.services}
    return [service for service in PLANNED_SERVICES if service not in shown]
