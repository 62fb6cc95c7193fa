"""The settlement loop on the L2 anvil over a real SQLite repository and Redis: settlements
are sent in batches, confirmed at depth, published once; two loops share the work and settle
each inference once; conflicts, a poor settler and a lost loop are handled."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from openledger.events.v1 import attribution_events_pb2 as events
from openledger_attribution.adapters.bus import RESULT_STREAM, SettledPublisher
from openledger_attribution.adapters.chain import ParamsReader, Settler, inference_key
from openledger_attribution.adapters.repository import Repository
from openledger_attribution.domain.model import GovernedParams, SettlementEntry, SettlementState
from openledger_attribution.workers import SettlementLoop
from openledger_attribution.workers.settlement import EVIDENCE_CONFLICT
from openledger_kit import bus
from openledger_kit.bus import Publisher, open_envelope
from openledger_kit.bus.envelope import open_payload
from openledger_kit.chain import ServiceAccount
from openledger_kit.contracts.bindings.l2 import AttributionRewards
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.contracts.testing import fresh_account
from openledger_kit.store import ObjectStore, open_store
from openledger_kit.testing.processes import RedisProcess
from services.attribution.tests.settlement.conftest import Chain
from services.attribution.tests.worker.scored import Target, store_scored

pytestmark = pytest.mark.slow


@dataclasses.dataclass
class World:
    chain: Chain
    tmp: Path
    redis: Redis
    store: ObjectStore
    params: GovernedParams
    target: Target
    gateways: list[ContractGateway[Any]]
    repositories: list[Repository]

    def repository(self) -> Repository:
        repository = Repository.open(f"sqlite:///{self.tmp / 'attribution.db'}")
        self.repositories.append(repository)
        return repository

    def loop(
        self,
        repository: Repository,
        settler: ServiceAccount,
        *,
        worker: str = "w1",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        **options: Any,
    ) -> SettlementLoop:
        gateway = Settler(self.chain.l2_url, self.chain.platform.manifest_path, settler)
        self.gateways.append(gateway)
        publisher = SettledPublisher(Publisher(self.redis, source="attribution"), self.store)
        return SettlementLoop(
            repository=repository,
            chain=gateway,
            publisher=publisher,
            worker=worker,
            clock=clock,
            **options,
        )

    async def contributors(self, n: int) -> list[str]:
        return [(await fresh_account(ether=0)).address for _ in range(n)]


@pytest.fixture
async def world(chain: Chain, redis_server: RedisProcess, tmp_path: Path) -> AsyncIterator[World]:
    redis = bus.connect(redis_server.url)
    reader = ParamsReader(chain.l2_url, chain.platform.manifest_path)
    params = await reader.current()
    world = World(
        chain,
        tmp_path,
        redis,
        open_store(tmp_path / "objects"),
        params,
        Target(chain.chain_id, chain.rewards_address),
        [reader],
        [],
    )
    yield world
    for gateway in world.gateways:
        await gateway.close()
    for repository in world.repositories:
        repository.close()
    await redis.aclose()


async def settled_events(
    redis: Redis, inference_ids: Sequence[str]
) -> list[events.AttributionSettled]:
    wanted = set(inference_ids)
    found = []
    entries: Any = await redis.xrange(RESULT_STREAM.key)
    for _entry_id, fields in entries:
        message = open_payload(open_envelope(fields), events.AttributionSettled)
        if message.inference_id in wanted:
            found.append(message)
    return found


async def settled_logs(chain: Chain, inference_id: str) -> int:
    rewards = await chain.platform.bind(AttributionRewards)
    logs = await rewards.contract.events.Settled.get_logs(
        argument_filters={"inferenceId": inference_key(inference_id)}, from_block=0
    )
    return len(logs)


async def test_settlements_are_sent_in_one_batch_confirmed_and_published(world: World) -> None:
    repository = world.repository()
    alice, bob = await world.contributors(2)
    stored = [
        store_scored(repository, world.store, world.target, world.params, {alice: 0.7, bob: 0.3}),
        store_scored(repository, world.store, world.target, world.params, {alice: 1.0}),
    ]
    loop = world.loop(repository, world.chain.settlers[0])

    # Sent, confirmed (depth 0) and published in one round.
    assert await loop.run_once() == 6
    assert await loop.run_once() == 0

    after = [repository.get_settlement(s.settlement_id) for s in stored]
    assert all(s is not None and s.state is SettlementState.CONFIRMED for s in after)
    assert all(s is not None and s.published and s.attempts == 1 for s in after)
    first, second = after
    assert first is not None and second is not None and first.transaction is not None
    assert first.transaction == second.transaction  # one settleBatch
    assert first.batch_id == second.batch_id != ""
    assert first.transaction.chain_id == world.chain.chain_id
    assert first.transaction.contract_address == world.chain.rewards_address
    rewards = await world.chain.platform.bind(AttributionRewards)
    owed = dict.fromkeys((alice, bob), 0)
    for settlement in stored:
        for address, amount in settlement.payouts:
            owed[address] += amount
    assert owed[alice] > 0 and owed[bob] > 0
    assert {a: await rewards.claimable(a) for a in owed} == owed

    published = await settled_events(world.redis, [s.inference_id for s in stored])
    assert sorted(m.inference_id for m in published) == sorted(s.inference_id for s in stored)
    message = next(m for m in published if m.inference_id == stored[0].inference_id)
    assert message.settlement == f"settlements/{stored[0].settlement_id}"
    assert message.transaction.tx_hash == first.transaction.tx_hash
    assert message.evidence_hash == stored[0].evidence_hash
    assert Path(message.evidence_uri).read_bytes()  # the local store's object file
    assert [(p.contributor_address, int(p.amount)) for p in message.payouts] == list(
        stored[0].payouts
    )


async def test_a_settlement_is_confirmed_at_the_required_depth(world: World) -> None:
    repository = world.repository()
    (carol,) = await world.contributors(1)
    stored = store_scored(repository, world.store, world.target, world.params, {carol: 1.0})
    loop = world.loop(repository, world.chain.settlers[0], confirmations=2)

    assert await loop.run_once() == 1
    submitted = repository.get_settlement(stored.settlement_id)
    assert submitted is not None and submitted.state is SettlementState.SUBMITTED
    assert await settled_events(world.redis, [stored.inference_id]) == []

    for _ in range(2):
        await world.chain.platform.l2.provider.make_request("evm_mine", [])
    assert await loop.run_once() == 2  # confirmed, published
    confirmed = repository.get_settlement(stored.settlement_id)
    assert confirmed is not None and confirmed.state is SettlementState.CONFIRMED
    assert len(await settled_events(world.redis, [stored.inference_id])) == 1


async def test_two_loops_on_one_database_settle_each_inference_once(world: World) -> None:
    first_repository, second_repository = world.repository(), world.repository()
    contributors = await world.contributors(3)
    stored = [
        store_scored(
            first_repository,
            world.store,
            world.target,
            world.params,
            {contributors[i % 3]: 0.8, contributors[(i + 1) % 3]: 0.2},
        )
        for i in range(8)
    ]
    loops = [
        world.loop(first_repository, world.chain.settlers[0], worker="w1", batch_size=3),
        world.loop(second_repository, world.chain.settlers[1], worker="w2", batch_size=3),
    ]

    for _ in range(10):
        await asyncio.gather(*(loop.run_once() for loop in loops))
        states = {first_repository.get_settlement(s.settlement_id) for s in stored}
        if all(s is not None and s.published for s in states):
            break

    for settlement in stored:
        after = first_repository.get_settlement(settlement.settlement_id)
        assert after is not None and after.state is SettlementState.CONFIRMED and after.published
        assert after.attempts == 1
        assert await settled_logs(world.chain, settlement.inference_id) == 1
    published = await settled_events(world.redis, [s.inference_id for s in stored])
    assert sorted(m.inference_id for m in published) == sorted(s.inference_id for s in stored)


async def test_a_settlement_recorded_elsewhere_with_other_evidence_fails(world: World) -> None:
    repository = world.repository()
    (dave,) = await world.contributors(1)
    stored = store_scored(repository, world.store, world.target, world.params, {dave: 1.0})
    other = world.loop(repository, world.chain.settlers[1])
    rival = dataclasses.replace(SettlementEntry.of(stored), evidence_hash=b"\x55" * 32)
    gateway = Settler(
        world.chain.l2_url, world.chain.platform.manifest_path, world.chain.settlers[1]
    )
    world.gateways.append(gateway)
    await gateway.settle_batch([rival])

    assert await other.run_once() == 0
    failed = repository.get_settlement(stored.settlement_id)
    assert failed is not None and failed.state is SettlementState.FAILED
    assert failed.error_reason == EVIDENCE_CONFLICT
    assert await settled_logs(world.chain, stored.inference_id) == 1


async def test_an_underfunded_settler_leaves_settlements_pending(world: World) -> None:
    repository = world.repository()
    (erin,) = await world.contributors(1)
    stored = store_scored(
        repository, world.store, world.target, world.params, {erin: 1.0}, fee=2 * OPEN
    )
    poor = await fresh_account(world.chain.platform.l2, ether=1)
    admin = await world.chain.platform.bind(
        AttributionRewards, world.chain.platform.accounts["admin"]
    )
    await admin.grant_role("ATTRIBUTION_ROLE", poor.address)

    assert await world.loop(repository, poor, worker="poor").run_once() == 0
    pending = repository.get_settlement(stored.settlement_id)
    assert pending is not None and pending.state is SettlementState.PENDING
    assert not await admin.is_settled(inference_key(stored.inference_id))

    # The lease was released: a funded settler takes it over at once.
    assert await world.loop(repository, world.chain.settlers[0]).run_once() == 3
    done = repository.get_settlement(stored.settlement_id)
    assert done is not None and done.state is SettlementState.CONFIRMED


async def test_a_loop_lost_after_sending_is_taken_over_without_sending_again(
    world: World,
) -> None:
    repository = world.repository()
    (frank,) = await world.contributors(1)
    stored = store_scored(repository, world.store, world.target, world.params, {frank: 1.0})
    # Sent, never confirmed here: the loop is gone before the depth is reached.
    lost = world.loop(repository, world.chain.settlers[0], worker="lost", confirmations=1000)
    assert await lost.run_once() == 1

    later = datetime.now(UTC) + timedelta(seconds=120)
    heir = world.loop(
        repository, world.chain.settlers[1], worker="heir", clock=lambda: later, max_attempts=1
    )
    assert await heir.run_once() == 3
    after = repository.get_settlement(stored.settlement_id)
    assert after is not None and after.state is SettlementState.CONFIRMED and after.published
    assert await settled_logs(world.chain, stored.inference_id) == 1
    assert len(await settled_events(world.redis, [stored.inference_id])) == 1
