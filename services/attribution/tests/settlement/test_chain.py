"""Settlement on the L2 anvil: batches credited and claimed, two settlers racing on one
inference settle it once, and a threshold changed by a governance vote changes the payouts."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from openledger_attribution.adapters.chain import ParamsReader, Settler, inference_key
from openledger_attribution.adapters.evidence import encode_evidence
from openledger_attribution.domain.model import GovernedParams, SettlementEntry
from openledger_attribution.domain.policy import Method, MethodWeights
from openledger_attribution.settlement.evidence import (
    ContributorScore,
    Evidence,
    ScoringParameters,
    scores_e9,
)
from openledger_attribution.settlement.payouts import Payouts, split_fee
from openledger_kit.chain import ServiceAccount
from openledger_kit.contracts.bindings import GOpen, OpenGovernor, Proposal, ProtocolParams
from openledger_kit.contracts.bindings.l2 import AttributionRewards
from openledger_kit.contracts.config import OPEN, DeployConfig
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.contracts.testing import advance_time, fresh_account
from openledger_kit.errors import FailedPrecondition
from services.attribution.tests.settlement.conftest import Chain

pytestmark = pytest.mark.slow

OWNER = "0x" + "0e" * 20
FEE = 10**15


class Gateways:
    """The test's gateways, closed at its end."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.opened: list[ContractGateway[Any]] = []

    def settler(self, account: ServiceAccount) -> Settler:
        gateway = Settler(self.chain.l2_url, self.chain.platform.manifest_path, account)
        self.opened.append(gateway)
        return gateway

    def reader(
        self, refresh_seconds: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> ParamsReader:
        gateway = ParamsReader(
            self.chain.l2_url,
            self.chain.platform.manifest_path,
            refresh_seconds=refresh_seconds,
            clock=clock,
        )
        self.opened.append(gateway)
        return gateway


@pytest.fixture
async def gateways(chain: Chain) -> AsyncIterator[Gateways]:
    opened = Gateways(chain)
    yield opened
    for gateway in opened.opened:
        await gateway.close()


def entry(
    chain: Chain, params: GovernedParams, scores: dict[str, float], fee: int = FEE
) -> tuple[SettlementEntry, Payouts]:
    """What a worker would settle for a completion with these final scores."""
    inference_id = str(uuid.uuid4())
    contributors = [ContributorScore(a, s, 0.0, s, 1) for a, s in scores.items()]
    payouts = split_fee(
        fee,
        scores_e9(contributors),
        threshold_bps=params.threshold_bps,
        split=params.split,
        owner=OWNER,
        treasury=params.treasury,
    )
    evidence = Evidence(
        inference_id=inference_id,
        chain_id=chain.chain_id,
        rewards_contract=chain.rewards_address,
        base_model="tiny-llama",
        weights=MethodWeights(Method.SPAN, 10_000),
        parameters=ScoringParameters(min_span_tokens=2, max_spans=4),
        contributors=contributors,
    )
    document = encode_evidence(evidence, payouts)
    return SettlementEntry(inference_id, payouts.credits(), document.evidence_hash), payouts


async def addresses(n: int) -> list[str]:
    return [(await fresh_account(ether=0)).address for _ in range(n)]


async def test_a_batch_is_settled_once_and_a_contributor_claims_it(
    chain: Chain, gateways: Gateways
) -> None:
    params = await gateways.reader().current()
    alice, bob = await addresses(2)
    first, first_payouts = entry(chain, params, {alice: 0.7, bob: 0.3})
    second, _ = entry(chain, params, {alice: 1.0})
    gateway = gateways.settler(chain.settlers[0])
    rewards = await chain.platform.bind(AttributionRewards)

    settled = await gateway.settle_batch([first, second, first])

    assert set(settled) == {first.inference_id, second.inference_id}
    assert all(tx.sent_here for tx in settled.values())
    assert settled[first.inference_id].tx_hash == settled[second.inference_id].tx_hash
    record = await rewards.settlement(inference_key(first.inference_id))
    assert record is not None and record.evidence_hash == first.evidence_hash
    assert record.total == FEE
    owed = sum(c.amount for e in (first, second) for c in e.credits if c.address == alice)
    assert await rewards.claimable(alice) == owed
    assert first_payouts.contributors_amount == FEE * params.split.contributors_bps // 10_000

    again = await gateway.settle_batch([first])
    assert again[first.inference_id].sent_here is False
    assert again[first.inference_id].tx_hash == settled[first.inference_id].tx_hash

    # A contributor pulls its credit: its native balance grows by it, less the claim's gas.
    l2 = chain.platform.l2
    contributor = await fresh_account(l2, ether=1)
    paid, _ = entry(chain, params, {contributor.address: 1.0})
    await gateway.settle_batch([paid])
    credit = await rewards.claimable(contributor.address)
    assert credit == FEE * params.split.contributors_bps // 10_000
    balance = await l2.eth.get_balance(contributor.address)
    own = await chain.platform.bind(AttributionRewards, contributor)
    receipt = await own.claim()
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert await l2.eth.get_balance(contributor.address) == balance + credit - gas
    assert (await own.claimable(contributor.address), await own.claimed(contributor.address)) == (
        0,
        credit,
    )


async def test_two_settlers_racing_on_one_inference_settle_it_once(
    chain: Chain, gateways: Gateways
) -> None:
    params = await gateways.reader().current()
    (carol,) = await addresses(1)
    shared, _ = entry(chain, params, {carol: 1.0})
    only_second, _ = entry(chain, params, {carol: 1.0})
    one, two = gateways.settler(chain.settlers[0]), gateways.settler(chain.settlers[1])
    rewards = await chain.platform.bind(AttributionRewards)

    first, second = await asyncio.gather(
        one.settle_batch([shared]), two.settle_batch([shared, only_second])
    )

    mine = first[shared.inference_id], second[shared.inference_id]
    assert [tx.sent_here for tx in mine].count(True) == 1
    assert mine[0].tx_hash == mine[1].tx_hash
    assert second[only_second.inference_id].sent_here
    logs = await rewards.contract.events.Settled.get_logs(
        argument_filters={"inferenceId": inference_key(shared.inference_id)}, from_block=0
    )
    assert len(logs) == 1
    credit = FEE * params.split.contributors_bps // 10_000
    assert await rewards.claimable(carol) == 2 * credit


async def test_an_underfunded_settler_sends_nothing(chain: Chain, gateways: Gateways) -> None:
    params = await gateways.reader().current()
    (dave,) = await addresses(1)
    poor = await fresh_account(chain.platform.l2, ether=1)
    rewards = await chain.platform.bind(AttributionRewards, chain.platform.accounts["admin"])
    await rewards.grant_role("ATTRIBUTION_ROLE", poor.address)
    big, _ = entry(chain, params, {dave: 1.0}, fee=2 * OPEN)
    with pytest.raises(FailedPrecondition) as refused:
        await gateways.settler(poor).settle_batch([big])
    assert refused.value.reason == "SETTLER_UNDERFUNDED"
    assert not await rewards.is_settled(inference_key(big.inference_id))


async def test_a_threshold_changed_by_governance_changes_the_payouts(
    chain: Chain, gateways: Gateways
) -> None:
    governance = DeployConfig().governance
    platform = chain.platform
    now = [0.0]
    live = gateways.reader()
    cached = gateways.reader(refresh_seconds=60.0, clock=lambda: now[0])
    before = await live.current()
    assert (await cached.current()) == before
    erin, frank = await addresses(2)
    scores = {erin: 0.96, frank: 0.04}  # frank holds 4 %
    new_bps = 300
    assert before.threshold_bps > 400  # the deployment's 5 %: frank is below it

    old_entry, old_payouts = entry(chain, before, scores)
    assert [s.eligible for s in old_payouts.shares if s.address == frank] == [False]

    # Governance: wrap and delegate OPEN, propose, vote, queue, execute.
    voter = await fresh_account(platform.l2, ether=1_000)
    gopen = await platform.bind(GOpen, voter)
    governor = await platform.bind(OpenGovernor, voter)
    protocol = await platform.bind(ProtocolParams)
    await gopen.deposit(100 * OPEN)
    await gopen.delegate(voter.address)
    await advance_time(platform.l2, 1)
    proposal = Proposal.of(
        [protocol.set_attribution_threshold_call(new_bps)],
        f"Lower the attribution threshold to {new_bps} bps ({uuid.uuid4()})",
    )
    proposal_id = await governor.propose(proposal)
    await advance_time(platform.l2, governance.voting_delay_seconds + 1)
    await governor.cast_vote(proposal_id)
    await advance_time(platform.l2, governance.voting_period_seconds + 1)
    await governor.queue(proposal)
    await advance_time(platform.l2, governance.timelock_delay_seconds + 1)
    await governor.execute(proposal)

    after = await live.current()
    assert after.threshold_bps == new_bps
    assert (after.split, after.treasury) == (before.split, before.treasury)
    assert (await cached.current()).threshold_bps == before.threshold_bps  # not due yet
    now[0] += 61.0
    assert (await cached.current()).threshold_bps == new_bps

    new_entry, new_payouts = entry(chain, after, scores)
    assert [s.eligible for s in new_payouts.shares if s.address == frank] == [True]
    assert new_payouts.contributors != old_payouts.contributors

    await gateways.settler(chain.settlers[0]).settle_batch([old_entry, new_entry])
    rewards = await platform.bind(AttributionRewards)
    frank_share = {p.address: p.amount for p in new_payouts.contributors}[frank]
    assert frank_share > 0
    assert await rewards.claimable(frank) == frank_share
    assert await rewards.claimable(erin) == sum(
        {p.address: p.amount for p in payouts.contributors}[erin]
        for payouts in (old_payouts, new_payouts)
    )
