"""Governance on L2: a proposal goes through vote, queue and execution in the timelock and
changes the attribution threshold in ProtocolParams. GOpen's clock is the block timestamp, so
the delays pass with anvil's ``evm_increaseTime``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, TransactionReverted
from openledger_kit.contracts import DeployConfig
from openledger_kit.contracts.bindings import (
    GOpen,
    OpenGovernor,
    Proposal,
    ProposalState,
    ProtocolParams,
    VoteType,
)
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.testing import DeployedPlatform, advance_time
from openledger_kit.errors import FailedPrecondition

Fund = Callable[..., Awaitable[ServiceAccount]]


async def test_a_proposal_is_voted_queued_and_executed_to_change_the_threshold(
    platform: DeployedPlatform, l2: AsyncWeb3[Any], fund: Fund
) -> None:
    governance = DeployConfig().governance
    voter = await fund()
    gopen = await platform.bind(GOpen, voter)
    governor = await platform.bind(OpenGovernor, voter)
    params = await platform.bind(ProtocolParams)
    old = await params.attribution_threshold_bps()
    new = old + 250

    await gopen.deposit(100 * OPEN)
    await gopen.delegate(voter.address)
    assert await gopen.get_votes(voter.address) == 100 * OPEN
    await advance_time(l2, 1)  # votes count from a checkpoint strictly before the snapshot

    proposal = Proposal.of(
        [params.set_attribution_threshold_call(new)],
        f"Raise the attribution threshold to {new} bps",
    )
    proposal_id = await governor.propose(proposal)
    assert await governor.state(proposal_id) == ProposalState.PENDING

    await advance_time(l2, governance.voting_delay_seconds + 1)
    assert await governor.state(proposal_id) == ProposalState.ACTIVE
    vote = await governor.cast_vote(proposal_id, VoteType.FOR)
    (cast,) = governor.events(vote, "VoteCast")
    assert (cast["args"]["voter"], cast["args"]["weight"]) == (voter.address, 100 * OPEN)
    assert await governor.proposal_votes(proposal_id) == (0, 100 * OPEN, 0)

    await advance_time(l2, governance.voting_period_seconds + 1)
    assert await governor.state(proposal_id) == ProposalState.SUCCEEDED
    with pytest.raises(TransactionReverted) as early:
        await governor.execute(proposal)  # not queued yet
    assert early.value.error_name == "GovernorUnexpectedProposalState"

    await governor.queue(proposal)
    assert await governor.state(proposal_id) == ProposalState.QUEUED
    assert await params.attribution_threshold_bps() == old

    await advance_time(l2, governance.timelock_delay_seconds + 1)
    executed = await governor.execute(proposal)

    assert await governor.state(proposal_id) == ProposalState.EXECUTED
    assert await params.attribution_threshold_bps() == new
    (changed,) = params.events(executed, "AttributionThresholdChanged")
    assert (changed["args"]["oldBps"], changed["args"]["newBps"]) == (old, new)
    assert (await params.params()).attribution_threshold_bps == new


async def test_read_only_bindings_refuse_to_send(platform: DeployedPlatform) -> None:
    governor = await platform.bind(OpenGovernor)
    proposal = Proposal.of(
        [(await platform.bind(ProtocolParams)).set_attribution_threshold_call(1)], "x"
    )
    with pytest.raises(FailedPrecondition) as refused:
        await governor.propose(proposal)
    assert refused.value.reason == "NO_SENDER"
