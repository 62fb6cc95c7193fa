"""Typed Python bindings of the OpenLedger contracts, loaded from the deployment manifest.

    manifest = DeploymentManifest.load(settings.deployment_manifest)
    rewards = await AttributionRewards.load(manifest, l2, sender=TxSender(l2, account))
    await rewards.settle(inference_id, contributors, amounts, evidence_hash)

Writes go through ``TxSender`` (nonces, fees, receipts, decoded custom-error reverts as
``TransactionReverted``); reads need no sender.
"""

from openledger_kit.contracts.bindings.base import (
    DEFAULT_ADMIN_ROLE,
    AccessControlled,
    Call,
    ContractBinding,
    role_id,
)
from openledger_kit.contracts.bindings.governance import (
    OpenGovernor,
    Proposal,
    ProposalState,
    TimelockController,
    VoteType,
)
from openledger_kit.contracts.bindings.l1 import (
    BatchInbox,
    BatchRecord,
    L2OutputOracle,
    OpenPortal,
    OpenToken,
    OutputProposal,
)
from openledger_kit.contracts.bindings.l2 import (
    Adapter,
    AdapterRegistration,
    AttributionRewards,
    BaseModel,
    Datanet,
    DatanetRegistry,
    GOpen,
    InferencePool,
    L2ToL1MessagePasser,
    ModelRegistry,
    Params,
    ProtocolParams,
    Provider,
    Settlement,
    SettlementRecord,
    Snapshot,
    StakePosition,
)
from openledger_kit.contracts.bindings.platform import L1Contracts, L2Contracts

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "AccessControlled",
    "Adapter",
    "AdapterRegistration",
    "AttributionRewards",
    "BaseModel",
    "BatchInbox",
    "BatchRecord",
    "Call",
    "ContractBinding",
    "Datanet",
    "DatanetRegistry",
    "GOpen",
    "InferencePool",
    "L1Contracts",
    "L2Contracts",
    "L2OutputOracle",
    "L2ToL1MessagePasser",
    "ModelRegistry",
    "OpenGovernor",
    "OpenPortal",
    "OpenToken",
    "OutputProposal",
    "Params",
    "Proposal",
    "ProposalState",
    "ProtocolParams",
    "Provider",
    "Settlement",
    "SettlementRecord",
    "Snapshot",
    "StakePosition",
    "TimelockController",
    "VoteType",
    "role_id",
]
