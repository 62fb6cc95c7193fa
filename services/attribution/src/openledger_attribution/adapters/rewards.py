"""What a contributor can claim and has claimed on ``AttributionRewards``, read without an
account (the API never sends transactions)."""

from __future__ import annotations

from dataclasses import dataclass

from openledger_kit.chain.connection import transport_errors
from openledger_kit.contracts.bindings.base import checksum
from openledger_kit.contracts.bindings.l2 import AttributionRewards
from openledger_kit.contracts.gateway import ContractGateway


@dataclass(frozen=True)
class RewardBalance:
    """``claimable`` and ``claimed`` (wei of OPEN), both read at ``block_number``."""

    claimable: int
    claimed: int
    block_number: int


class RewardsReader(ContractGateway[AttributionRewards]):
    """Reads contributors' balances from ``AttributionRewards``."""

    BINDING = AttributionRewards

    async def balance(self, address: str) -> RewardBalance:
        """Both figures at one block, so a claim mined between the two reads cannot make
        them disagree."""
        rewards = await self.bound()
        account = checksum(address)
        functions = rewards.contract.functions
        with transport_errors(self._rpc_url):
            head = int(await rewards.w3.eth.block_number)
            claimable = await functions.claimable(account).call(block_identifier=head)
            claimed = await functions.claimed(account).call(block_identifier=head)
        return RewardBalance(claimable=int(claimable), claimed=int(claimed), block_number=head)
