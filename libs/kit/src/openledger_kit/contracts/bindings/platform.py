"""Every contract of one chain at once, loaded from the deployment manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import AsyncWeb3

from openledger_kit.chain import DeploymentManifest, TxSender
from openledger_kit.contracts.bindings.governance import OpenGovernor, TimelockController
from openledger_kit.contracts.bindings.l1 import BatchInbox, L2OutputOracle, OpenPortal, OpenToken
from openledger_kit.contracts.bindings.l2 import (
    AttributionRewards,
    DatanetRegistry,
    GOpen,
    InferencePool,
    L2ToL1MessagePasser,
    ModelRegistry,
    ProtocolParams,
)


@dataclass(frozen=True)
class L1Contracts:
    """The L1 set, bound to one connection (and optionally one sender)."""

    token: OpenToken
    oracle: L2OutputOracle
    inbox: BatchInbox
    portal: OpenPortal

    @classmethod
    async def load(
        cls, manifest: DeploymentManifest, w3: AsyncWeb3[Any], *, sender: TxSender | None = None
    ) -> L1Contracts:
        return cls(
            token=await OpenToken.load(manifest, w3, sender=sender),
            oracle=await L2OutputOracle.load(manifest, w3, sender=sender),
            inbox=await BatchInbox.load(manifest, w3, sender=sender),
            portal=await OpenPortal.load(manifest, w3, sender=sender),
        )


@dataclass(frozen=True)
class L2Contracts:
    """The L2 set, bound to one connection (and optionally one sender)."""

    gopen: GOpen
    timelock: TimelockController
    governor: OpenGovernor
    params: ProtocolParams
    datanets: DatanetRegistry
    models: ModelRegistry
    pool: InferencePool
    rewards: AttributionRewards
    message_passer: L2ToL1MessagePasser

    @classmethod
    async def load(
        cls, manifest: DeploymentManifest, w3: AsyncWeb3[Any], *, sender: TxSender | None = None
    ) -> L2Contracts:
        return cls(
            gopen=await GOpen.load(manifest, w3, sender=sender),
            timelock=await TimelockController.load(manifest, w3, sender=sender),
            governor=await OpenGovernor.load(manifest, w3, sender=sender),
            params=await ProtocolParams.load(manifest, w3, sender=sender),
            datanets=await DatanetRegistry.load(manifest, w3, sender=sender),
            models=await ModelRegistry.load(manifest, w3, sender=sender),
            pool=await InferencePool.load(manifest, w3, sender=sender),
            rewards=await AttributionRewards.load(manifest, w3, sender=sender),
            message_passer=await L2ToL1MessagePasser.load(manifest, w3, sender=sender),
        )
