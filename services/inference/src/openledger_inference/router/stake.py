"""The L2 ``InferencePool`` as the pool reads it: which chain and contract registrations are for,
and each provider's stake and standing (``pool.StakeBook``). Read-only: the router sends no
transactions."""

from __future__ import annotations

import asyncio

from openledger_inference.router.pool import ProviderStanding
from openledger_kit.contracts.bindings.l2 import InferencePool
from openledger_kit.contracts.gateway import ContractGateway


class StakeReader(ContractGateway[InferencePool]):
    """``InferencePool`` at the deployment manifest's address, connected on first use."""

    BINDING = InferencePool

    async def pool_identity(self) -> tuple[int, str]:
        pool = await self.bound()
        return self.chain_id, str(pool.address)

    async def standing(self, provider: str) -> ProviderStanding:
        pool = await self.bound()
        stake, active, min_stake = await asyncio.gather(
            pool.stake_of(provider), pool.is_active(provider), pool.min_stake()
        )
        return ProviderStanding(stake=stake, active=active, min_stake=min_stake)
