"""Attribution: does the worker fleet scale? Completions attributed per second by 1 and by 2
worker processes.

Each worker is the real service, ``python -m openledger_attribution --role worker`` with its
own ``OL_ATTRIBUTION_WORKER_NAME``, index and adapter caches and settler key (an account
holding ``AttributionRewards``' ``ATTRIBUTION_ROLE``); a configuration's workers share one
SQLite file, one ``redis-server`` and the platform's object store, and every worker runs on the
same anvil L2 with the platform's contracts deployed. Torch runs one intra-op thread per worker
(``OMP_NUM_THREADS=1``), so a second worker is a second core's worth of scoring at most.

Workload: the planted platform of the service's tests (``planted_platform``: the catalogue's
``tiny-llama`` with a planted LoRA adapter and its attribution features, so every completion is
scored by the COMBINED method). Per configuration, on a fresh Redis and a fresh database: the
``SnapshotPublished`` and ``AdapterPublished`` events first, then warm-up completions one at a
time until every worker has attributed one (its span index and models loaded), then
``completions`` completions (192; ``--quick``: 32) published at once. The figure is
``completions`` over the time from the first publish until all are final in the repository
(polled with ``Repository.get_attribution``); the workers' settlement loops settle on the L2
meanwhile, as a fleet does. ``fleet_shares_2`` is how many of them each worker attributed (its
``openledger_attribution_attributions_total``): a worker takes only as many completions from
the stream at a time as it scores at once (``OL_ATTRIBUTION_BUS_CONCURRENCY``), so a burst is
shared out. ``fleet_scaling`` = 2 workers / 1 worker; the
machine's cores bound it. The three worker processes start together before the chain is
deployed, so that their start-up overlaps; a configuration's workers are idle until its turn,
and the 1-worker configuration is stopped before the 2-worker one is timed. Without anvil and
forge (``make setup``) the section reports ``"fleet": "skipped: ..."``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client.parser import text_string_to_metric_families

from bench.inference import chain_available
from bench.result import Row
from openledger_attribution.adapters.bus import COMPLETION_STREAM
from openledger_attribution.adapters.repository import Repository
from openledger_attribution.domain.model import AttributionState
from openledger_attribution.metrics import PREFIX
from openledger_attribution.workers import GROUP
from openledger_kit import bus
from openledger_kit.bus import Publisher, catalogue, new_event_id
from openledger_kit.chain import ServiceAccount

if TYPE_CHECKING:  # bench.attribution lists this module's section: imported when called
    from bench.attribution import Section
    from services.attribution.tests.support.planted import PlantedPlatform

FLEET_SIZES = (1, 2)
COMPLETIONS = 192
QUICK_COMPLETIONS = 32
"""A worker scores a tiny-Llama completion in tens of milliseconds: fewer would time a
fraction of a second, mostly the publish and the poll."""
WAIT_SECONDS = 300.0
"""A guard against a hung fleet, not a timing expectation."""
POLL_SECONDS = 0.05
ATTRIBUTIONS_METRIC = f"{PREFIX}_attributions_total"


@dataclass
class Worker:
    name: str
    metrics_port: int
    log: Path
    process: subprocess.Popen[bytes]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3_000:]
            raise RuntimeError(f"worker {self.name} exited ({self.process.returncode}):\n{tail}")

    def attributed(self) -> int:
        """Attributions this worker has stored so far (its Prometheus counter)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        return int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == ATTRIBUTIONS_METRIC
            )
        )

    def stop(self) -> None:
        """End the worker's whole process group (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Fleet:
    """One configuration: its workers on a Redis and a database of their own."""

    size: int
    redis_url: str
    database: Path
    workers: list[Worker]


@dataclass(frozen=True)
class Timed:
    seconds: float
    shares: list[int]
    methods: set[str]
    warmups: int


def _spawn_worker(
    name: str, fleet_env: dict[str, str], settler: ServiceAccount, work: Path
) -> Worker:
    from openledger_kit.localnet.processes import free_port

    home = work / name
    home.mkdir(parents=True)
    key_file = home / "settler.key"
    key_file.write_text("0x" + bytes(settler.key).hex() + "\n")
    key_file.chmod(0o600)
    metrics_port = free_port()
    env = {
        **os.environ,
        **fleet_env,
        "OL_ATTRIBUTION_WORKER_NAME": name,
        "OL_ATTRIBUTION_GRPC_PORT": "0",
        "OL_ATTRIBUTION_METRICS_PORT": str(metrics_port),
        "OL_ATTRIBUTION_INDEX_CACHE_DIR": str(home / "indexes"),
        "OL_ATTRIBUTION_GRADIENT_CACHE_DIR": str(home / "adapters"),
        "OL_ATTRIBUTION_ACCOUNT_KEY_FILE": str(key_file),
        "OMP_NUM_THREADS": "1",
    }
    log = home / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "openledger_attribution", "--role", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, ended as one
        )
    return Worker(name, metrics_port, log, process)


@contextmanager
def _stopping(workers: list[Worker]) -> Iterator[None]:
    try:
        yield
    finally:
        for worker in workers:
            worker.stop()


async def _until(fleet: Fleet, check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        for worker in fleet.workers:
            worker.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"fleet of {fleet.size}: gave up waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


async def _all_final(fleet: Fleet, repository: Repository, ids: list[str]) -> set[str]:
    """Wait until every attribution in ``ids`` is final; their methods."""
    pending, methods = set(ids), set()

    async def done() -> bool:
        for inference_id in list(pending):
            attribution = repository.get_attribution(inference_id)
            if attribution is None:
                continue
            if attribution.state is AttributionState.FAILED:
                raise RuntimeError(f"attribution {inference_id} failed: {attribution.error_reason}")
            if attribution.state.final:
                pending.discard(inference_id)
                methods.add(attribution.method.value if attribution.method else "NONE")
        return not pending

    await _until(fleet, done, f"{len(ids)} attributions")
    return methods


async def _run_fleet(fleet: Fleet, planted: PlantedPlatform, completions: int) -> Timed:
    """Catalogue, warm-up, then the timed completions (see the module docstring)."""
    redis = bus.connect(fleet.redis_url)
    repository = Repository.open(f"sqlite:///{fleet.database}", migrate=False)
    try:
        inference = Publisher(redis, source="inference")

        async def consuming() -> bool:
            try:
                rows: Any = await redis.xinfo_consumers(COMPLETION_STREAM.key, GROUP)
            except Exception:  # the group is created by the first worker to start
                return False
            names = {row["name"].decode() for row in rows}
            return names >= {worker.name for worker in fleet.workers}

        await _until(fleet, consuming, "every worker to consume")
        await inference.publish(catalogue.DATANET_SNAPSHOT, planted.snapshot_event)
        await inference.publish(catalogue.MODELFACTORY_ADAPTER, planted.adapter_event)

        async def publish(count: int) -> list[str]:
            ids = []
            for i in range(count):
                _, event = planted.completion(i % len(planted.records), inference_id=new_event_id())
                await inference.publish(COMPLETION_STREAM, event)
                ids.append(event.inference_id)
            return ids

        # Blocked readers are served in turn, so a few single warm-ups reach every worker.
        warmups = 0
        while warmups < 4 * fleet.size and not all(w.attributed() for w in fleet.workers):
            await _all_final(fleet, repository, await publish(1))
            warmups += 1

        before = [worker.attributed() for worker in fleet.workers]
        started = time.perf_counter()
        methods = await _all_final(fleet, repository, await publish(completions))
        seconds = time.perf_counter() - started
        shares = [w.attributed() - b for w, b in zip(fleet.workers, before, strict=True)]
        return Timed(seconds, shares, methods, warmups)
    finally:
        repository.close()
        await redis.aclose()


async def _measure(completions: int, work: Path) -> dict[int, Timed]:
    from openledger_kit.chain import connect
    from openledger_kit.contracts import RoleAccounts, deploy_platform
    from openledger_kit.contracts.bindings.l2 import AttributionRewards
    from openledger_kit.contracts.build import build_contracts
    from openledger_kit.contracts.testing import DeployedPlatform, fresh_account
    from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID
    from openledger_kit.testing.processes import running_anvil, running_redis
    from services.attribution.tests.support.planted import planted_platform

    planted = planted_platform(work / "platform")
    with ExitStack() as stack:
        anvil_l1 = stack.enter_context(running_anvil(work / "l1", chain_id=L1_CHAIN_ID))
        anvil_l2 = stack.enter_context(
            running_anvil(work / "l2", chain_id=L2_CHAIN_ID, optimism=True)
        )
        l1 = await connect(anvil_l1.url, expected_chain_id=L1_CHAIN_ID)
        l2 = await connect(anvil_l2.url, expected_chain_id=L2_CHAIN_ID)
        try:
            deployer, admin = await fresh_account(l1, l2), await fresh_account(l1, l2)
            settlers = [await fresh_account(l2) for _ in range(sum(FLEET_SIZES))]
            manifest_path = work / "deployments.json"
            redises = [stack.enter_context(running_redis(work / f"redis-{n}")) for n in FLEET_SIZES]
            fleets: list[Fleet] = []
            all_workers: list[Worker] = []
            stack.enter_context(_stopping(all_workers))  # before Redis and anvil stop
            for size, redis in zip(FLEET_SIZES, redises, strict=True):
                database = work / f"fleet-{size}.db"
                Repository.open(f"sqlite:///{database}").close()  # migrated before any worker
                env = {
                    "OL_ATTRIBUTION_REDIS_URL": redis.url,
                    "OL_ATTRIBUTION_DATABASE_URL": f"sqlite:///{database}",
                    "OL_ATTRIBUTION_OBJECT_STORE_URL": planted.store_url,
                    "OL_ATTRIBUTION_MODEL_CACHE_DIR": str(planted.cache_dir),
                    "OL_ATTRIBUTION_L2_RPC_URL": anvil_l2.url,
                    "OL_ATTRIBUTION_DEPLOYMENT_MANIFEST": str(manifest_path),
                }
                workers = [
                    _spawn_worker(f"fleet{size}-w{i + 1}", env, settlers[len(all_workers)], work)
                    for i in range(size)
                ]
                all_workers.extend(workers)
                fleets.append(Fleet(size, redis.url, database, workers))

            # Deployed while the workers start: they wait for the L2 to serve the contracts.
            manifest = await deploy_platform(
                anvil_l1.url,
                anvil_l2.url,
                deployer=deployer,
                roles=RoleAccounts(attribution=settlers[0].address, l2_admin=admin.address),
                artifacts_dir=build_contracts(),
                manifest_path=manifest_path,
            )
            platform = DeployedPlatform(manifest, manifest_path, deployer, {"admin": admin}, l1, l2)
            rewards = await platform.bind(AttributionRewards, admin)
            for settler in settlers[1:]:
                await rewards.grant_role("ATTRIBUTION_ROLE", settler.address)
        finally:
            await l1.provider.disconnect()
            await l2.provider.disconnect()

        timed = {}
        for fleet in fleets:
            timed[fleet.size] = await _run_fleet(fleet, planted, completions)
            for worker in fleet.workers:  # its settlements would compete with the next fleet
                worker.stop()
        return timed


def fleet_section(quick: bool) -> Section:
    """Completions attributed per second by 1 and 2 worker processes (see the module
    docstring)."""
    from bench.attribution import Section

    if not chain_available():
        return Section(extra={"fleet": "skipped: anvil or forge missing (make setup)"})
    completions = QUICK_COMPLETIONS if quick else COMPLETIONS
    with tempfile.TemporaryDirectory(prefix="ol-bench-attribution-fleet-") as scratch:
        timed = asyncio.run(_measure(completions, Path(scratch)))
    one, two = (completions / timed[size].seconds for size in FLEET_SIZES)
    methods = set().union(*(t.methods for t in timed.values()))
    return Section(
        rows=[Row("worker fleet, 2 workers vs 1 (tiny Llama)", two, one, "completions/s")],
        extra={
            "fleet_completions_per_s_1": round(one, 2),
            "fleet_completions_per_s_2": round(two, 2),
            "fleet_scaling": round(two / one, 3),
            "fleet_completions": completions,
            "fleet_method": "/".join(sorted(methods)),
            "fleet_shares_2": timed[2].shares,
            "fleet_warmups": [timed[size].warmups for size in FLEET_SIZES],
        },
    )
