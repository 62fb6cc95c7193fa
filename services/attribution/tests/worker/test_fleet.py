"""The worker fleet end to end on real Redis streams, a SQLite repository, the planted
platform's tiny model and the L2 anvil: completions published by "inference" end as CONFIRMED
settlements with AttributionSettled published; workers race, die and are dead-lettered to."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from openledger.events.v1 import attribution_events_pb2 as events
from openledger_attribution.adapters.bus import COMPLETION_STREAM, RESULT_STREAM, SettledPublisher
from openledger_attribution.adapters.catalogue import CatalogueHandlers
from openledger_attribution.adapters.chain import ParamsReader, Settler, inference_key
from openledger_attribution.adapters.evidence import ProtobufEvidence
from openledger_attribution.adapters.gradients import GradientLibrary
from openledger_attribution.adapters.indexes import IndexLibrary
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.repository import Repository
from openledger_attribution.domain.attributor import Attributor, Scored, ScoringConfig
from openledger_attribution.domain.model import (
    AttributionState,
    CompletionInput,
    SettlementState,
)
from openledger_attribution.workers import GROUP, AttributionWorker, SettlementLoop
from openledger_kit import bus
from openledger_kit.bus import ConsumerOptions, Publisher, catalogue, new_event_id, open_envelope
from openledger_kit.bus.envelope import open_payload
from openledger_kit.chain import ServiceAccount
from openledger_kit.contracts.bindings.l2 import AttributionRewards
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.testing.processes import RedisProcess
from services.attribution.tests.settlement.conftest import Chain
from services.attribution.tests.support.planted import PlantedPlatform

pytestmark = pytest.mark.slow

OPTIONS = ConsumerOptions(
    concurrency=2, batch_size=8, block_seconds=0.2, visibility_timeout_seconds=2.0
)
WAIT_SECONDS = 300.0
"""A guard against a hung test, not a timing expectation."""


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


@dataclasses.dataclass
class Fleet:
    chain: Chain
    planted: PlantedPlatform
    tmp: Path
    redis: Redis
    inference: Publisher
    closing: list[Callable[[], Awaitable[None]]]

    def repository(self) -> Repository:
        repository = Repository.open(f"sqlite:///{self.tmp / 'attribution.db'}")

        async def close() -> None:
            repository.close()

        self.closing.append(close)
        return repository

    def _gateway(self, gateway: ContractGateway[Any]) -> None:
        self.closing.append(gateway.close)

    def attributor(
        self,
        repository: Repository,
        settler: ServiceAccount,
        name: str,
        kind: type[Attributor] = Attributor,
    ) -> tuple[Attributor, CatalogueHandlers]:
        models = BaseModelLibrary(None, self.planted.cache_dir)
        indexes = IndexLibrary(repository, self.planted.store, models, self.tmp / name / "index")
        gradients = GradientLibrary(
            repository, self.planted.store, models, self.tmp / name / "gradients"
        )
        params = ParamsReader(self.chain.l2_url, self.chain.platform.manifest_path)
        chain = Settler(self.chain.l2_url, self.chain.platform.manifest_path, settler)
        self._gateway(params)
        self._gateway(chain)
        attributor = kind(
            repository=repository,
            store=self.planted.store,
            base_models=models,
            indexes=indexes,
            gradients=gradients,
            params=params,
            chain=chain,
            evidence=ProtobufEvidence(),
            config=ScoringConfig(),
        )
        return attributor, CatalogueHandlers(repository, indexes)

    def worker(
        self,
        repository: Repository,
        settler: ServiceAccount,
        name: str,
        *,
        attributor: Attributor | None = None,
    ) -> AttributionWorker:
        real, handlers = self.attributor(repository, settler, name)
        worker = AttributionWorker(
            redis=self.redis,
            repository=repository,
            attributor=attributor or real,
            catalogue=handlers,
            name=name,
            options=OPTIONS,
        )
        self.closing.append(lambda: worker.stop(timeout=0))
        return worker

    def loop(self, repository: Repository, settler: ServiceAccount, name: str) -> SettlementLoop:
        chain = Settler(self.chain.l2_url, self.chain.platform.manifest_path, settler)
        self._gateway(chain)
        loop = SettlementLoop(
            repository=repository,
            chain=chain,
            publisher=SettledPublisher(
                Publisher(self.redis, source="attribution"), self.planted.store
            ),
            worker=name,
            interval_seconds=0.1,
        )
        task = asyncio.create_task(loop.run())

        async def stop() -> None:
            loop.stop()
            await task

        self.closing.insert(0, stop)
        return loop

    async def publish_catalogue(self) -> None:
        await self.inference.publish(catalogue.DATANET_SNAPSHOT, self.planted.snapshot_event)
        await self.inference.publish(catalogue.MODELFACTORY_ADAPTER, self.planted.adapter_event)

    async def complete(self, record: int, *, copies: int = 1) -> CompletionInput:
        completion, event = self.planted.completion(record, inference_id=new_event_id())
        for _ in range(copies):
            await self.inference.publish(COMPLETION_STREAM, event)
        return completion


@pytest.fixture
async def fleet(
    chain: Chain, planted: PlantedPlatform, redis_server: RedisProcess, tmp_path: Path
) -> AsyncIterator[Fleet]:
    redis = bus.connect(redis_server.url)
    fleet = Fleet(chain, planted, tmp_path, redis, Publisher(redis, source="inference"), [])
    yield fleet
    for close in fleet.closing:
        await close()
    await redis.aclose()


async def settled_events(redis: Redis, inference_id: str) -> list[events.AttributionSettled]:
    entries: Any = await redis.xrange(RESULT_STREAM.key)
    found = []
    for _entry_id, fields in entries:
        message = open_payload(open_envelope(fields), events.AttributionSettled)
        if message.inference_id == inference_id:
            found.append(message)
    return found


def published(repository: Repository, inference_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        settlement = await asyncio.to_thread(repository.latest_settlement, inference_id)
        return settlement is not None and settlement.published

    return check


async def settled_logs(chain: Chain, inference_id: str) -> int:
    rewards = await chain.platform.bind(AttributionRewards)
    logs = await rewards.contract.events.Settled.get_logs(
        argument_filters={"inferenceId": inference_key(inference_id)}, from_block=0
    )
    return len(logs)


async def test_a_published_completion_is_settled_and_announced(fleet: Fleet) -> None:
    repository = fleet.repository()
    settler = fleet.chain.settlers[0]
    await fleet.publish_catalogue()
    completion = await fleet.complete(0)
    await fleet.worker(repository, settler, "solo").start()
    fleet.loop(repository, settler, "solo")

    await eventually(published(repository, completion.inference_id), "the settlement")

    attribution = repository.get_attribution(completion.inference_id)
    assert attribution is not None and attribution.state is AttributionState.COMPLETED
    planted_contributor = fleet.planted.records[0].contributor
    assert attribution.contributors[0].address == planted_contributor
    settlement = repository.latest_settlement(completion.inference_id)
    assert settlement is not None and settlement.state is SettlementState.CONFIRMED
    rewards = await fleet.chain.platform.bind(AttributionRewards)
    assert await rewards.is_settled(inference_key(completion.inference_id))
    assert (
        await rewards.claimable(planted_contributor)
        >= dict(settlement.payouts)[planted_contributor]
        > 0
    )
    (message,) = await settled_events(fleet.redis, completion.inference_id)
    assert message.settlement == settlement.name
    assert message.evidence_hash == attribution.evidence_hash
    assert message.payouts[0].contributor_address in dict(settlement.payouts)


async def test_two_workers_racing_settle_each_completion_once(fleet: Fleet) -> None:
    repositories = fleet.repository(), fleet.repository()
    settlers = fleet.chain.settlers
    await fleet.publish_catalogue()
    # The same completion delivered twice (a producer's retry), each copy to either worker.
    completions = [await fleet.complete(record, copies=2) for record in range(3)]
    for name, repository, settler in zip(("w1", "w2"), repositories, settlers, strict=True):
        await fleet.worker(repository, settler, name).start()
        fleet.loop(repository, settler, name)

    for completion in completions:
        await eventually(published(repositories[0], completion.inference_id), "settlements")
    for completion in completions:
        assert await settled_logs(fleet.chain, completion.inference_id) == 1
        assert len(await settled_events(fleet.redis, completion.inference_id)) == 1
        settlement = repositories[1].latest_settlement(completion.inference_id)
        assert settlement is not None and settlement.state is SettlementState.CONFIRMED


class Hung(Attributor):
    """A worker that dies mid-job: its scoring never returns."""

    def __init__(self, **parts: Any) -> None:
        super().__init__(**parts)
        self.started = asyncio.Event()

    async def attribute(self, completion: CompletionInput) -> Scored:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.mark.parametrize("successor", ["doomed", "heir"])
async def test_a_worker_killed_mid_job_loses_nothing(fleet: Fleet, successor: str) -> None:
    repository = fleet.repository()
    settler = fleet.chain.settlers[0]
    await fleet.publish_catalogue()
    hung, _ = fleet.attributor(repository, settler, "doomed", kind=Hung)
    assert isinstance(hung, Hung)
    doomed = fleet.worker(repository, settler, "doomed", attributor=hung)
    await doomed.start()
    completion = await fleet.complete(1)
    await hung.started.wait()
    begun = repository.get_attribution(completion.inference_id)
    assert begun is not None and begun.state is AttributionState.PENDING

    # Killed: the handler is cancelled and its entry is never acknowledged.
    await doomed.stop(timeout=0)
    # The same name replays its own pending entry; another name reclaims it once idle.
    await fleet.worker(repository, settler, successor).start()
    fleet.loop(repository, settler, successor)

    await eventually(published(repository, completion.inference_id), "the settlement")
    attribution = repository.get_attribution(completion.inference_id)
    assert attribution is not None and attribution.state is AttributionState.COMPLETED
    assert await settled_logs(fleet.chain, completion.inference_id) == 1
    assert len(await settled_events(fleet.redis, completion.inference_id)) == 1


async def test_a_malformed_completion_is_dead_lettered(fleet: Fleet) -> None:
    repository = fleet.repository()
    _, event = fleet.planted.completion(2, inference_id=new_event_id())
    event.fee = "a lot"
    sent = await fleet.inference.publish(COMPLETION_STREAM, event)
    await fleet.worker(repository, fleet.chain.settlers[0], "strict").start()

    async def dead_lettered() -> list[dict[bytes, bytes]]:
        entries: Any = await fleet.redis.xrange(COMPLETION_STREAM.dead_letter_key)
        return [
            fields
            for _id, fields in entries
            if fields.get(b"dlq_origin_id") == sent.entry_id.encode()
        ]

    async def arrived() -> bool:
        return bool(await dead_lettered())

    await eventually(arrived, "the dead letter")
    (letter,) = await dead_lettered()
    assert open_envelope(letter).id == sent.event_id
    assert b"fee" in letter[b"dlq_error"]
    assert repository.get_attribution(event.inference_id) is None

    async def acknowledged() -> bool:
        rows: Any = await fleet.redis.xpending_range(
            COMPLETION_STREAM.key, GROUP, min="-", max="+", count=1000
        )
        return all(row["message_id"] != sent.entry_id.encode() for row in rows)

    await eventually(acknowledged, "the acknowledgement")
