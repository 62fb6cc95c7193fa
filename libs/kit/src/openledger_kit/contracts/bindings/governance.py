"""Bindings of L2 governance: OpenGovernor (OpenZeppelin Governor over gOPEN votes) and the
TimelockController that executes what passes.

A proposal's life, with ``governor`` sending from a delegated gOPEN holder::

    proposal = Proposal.of([params.set_attribution_threshold_call(700)], "Threshold to 7 %")
    proposal_id = await governor.propose(proposal)
    ...                                   # voting delay (seconds: GOpen's clock is time)
    await governor.cast_vote(proposal_id, VoteType.FOR)
    ...                                   # voting period
    await governor.queue(proposal)
    ...                                   # timelock delay
    await governor.execute(proposal)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_utils.crypto import keccak
from web3.types import TxReceipt

from openledger_kit.contracts.bindings.base import AccessControlled, Call, ContractBinding
from openledger_kit.errors import InvalidArgument


class ProposalState(IntEnum):
    """``IGovernor.ProposalState``."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class VoteType(IntEnum):
    """``GovernorCountingSimple`` support values."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Proposal:
    """What a proposal executes and its description (the id hashes all of it)."""

    targets: tuple[str, ...]
    values: tuple[int, ...]
    calldatas: tuple[bytes, ...]
    description: str

    @classmethod
    def of(cls, calls: Sequence[Call], description: str) -> Proposal:
        if not calls:
            raise InvalidArgument("calls", "a proposal makes at least one call")
        return cls(
            targets=tuple(call.target for call in calls),
            values=tuple(call.value for call in calls),
            calldatas=tuple(call.data for call in calls),
            description=description,
        )

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    def _by_hash(self) -> tuple[list[str], list[int], list[bytes], bytes]:
        return list(self.targets), list(self.values), list(self.calldatas), self.description_hash


class TimelockController(AccessControlled):
    """The timelock that owns ``ProtocolParams`` and executes passed proposals."""

    CHAIN = "l2"
    NAME = "TimelockController"

    async def min_delay(self) -> int:
        """Seconds between queueing and execution."""
        return int(await self._call(self.contract.functions.getMinDelay()))


class OpenGovernor(ContractBinding):
    """OpenZeppelin Governor with simple counting, a quorum fraction and the timelock."""

    CHAIN = "l2"
    NAME = "OpenGovernor"

    async def proposal_id(self, proposal: Proposal) -> int:
        return int(await self._call(self.contract.functions.hashProposal(*proposal._by_hash())))

    async def propose(self, proposal: Proposal) -> int:
        """Submit ``proposal``; returns its id."""
        fn = self.contract.functions.propose(
            list(proposal.targets),
            list(proposal.values),
            list(proposal.calldatas),
            proposal.description,
        )
        await self._transact(fn)
        return await self.proposal_id(proposal)

    async def cast_vote(self, proposal_id: int, support: VoteType = VoteType.FOR) -> TxReceipt:
        """Vote with the sender's delegated gOPEN at the proposal's snapshot."""
        return await self._transact(self.contract.functions.castVote(proposal_id, int(support)))

    async def queue(self, proposal: Proposal) -> TxReceipt:
        """Queue a succeeded proposal in the timelock."""
        return await self._transact(self.contract.functions.queue(*proposal._by_hash()))

    async def execute(self, proposal: Proposal) -> TxReceipt:
        """Execute a queued proposal once the timelock delay has passed."""
        fn = self.contract.functions.execute(*proposal._by_hash())
        return await self._transact(fn, value=sum(proposal.values))

    async def state(self, proposal_id: int) -> ProposalState:
        return ProposalState(int(await self._call(self.contract.functions.state(proposal_id))))

    async def proposal_snapshot(self, proposal_id: int) -> int:
        """The timepoint (seconds) whose votes count; voting starts after it."""
        return int(await self._call(self.contract.functions.proposalSnapshot(proposal_id)))

    async def proposal_deadline(self, proposal_id: int) -> int:
        """The last timepoint (seconds) at which votes are accepted."""
        return int(await self._call(self.contract.functions.proposalDeadline(proposal_id)))

    async def proposal_eta(self, proposal_id: int) -> int:
        """When a queued proposal becomes executable (0 if not queued)."""
        return int(await self._call(self.contract.functions.proposalEta(proposal_id)))

    async def proposal_votes(self, proposal_id: int) -> tuple[int, int, int]:
        """Votes against, for and abstaining."""
        against, for_, abstain = await self._call(
            self.contract.functions.proposalVotes(proposal_id)
        )
        return int(against), int(for_), int(abstain)

    async def voting_delay(self) -> int:
        return int(await self._call(self.contract.functions.votingDelay()))

    async def voting_period(self) -> int:
        return int(await self._call(self.contract.functions.votingPeriod()))

    async def quorum(self, timepoint: int) -> int:
        return int(await self._call(self.contract.functions.quorum(timepoint)))
