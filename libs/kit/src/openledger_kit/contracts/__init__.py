"""The Python side of OpenLedger's contracts: deploying the platform, typed bindings, and the
OP Stack deposit and withdrawal formats.

    manifest = await deploy_platform(l1_url, l2_url, deployer=account, roles=RoleAccounts(),
                                     config=DeployConfig(), artifacts_dir="contracts/out",
                                     manifest_path=".run/deployments.json")
    l2 = await L2Contracts.load(manifest, l2_w3, sender=TxSender(l2_w3, account))
    params = await l2.params.params()
"""

from openledger_kit.contracts.bindings import (
    AdapterRegistration,
    AttributionRewards,
    BatchInbox,
    Call,
    DatanetRegistry,
    GOpen,
    InferencePool,
    L1Contracts,
    L2Contracts,
    L2OutputOracle,
    L2ToL1MessagePasser,
    ModelRegistry,
    OpenGovernor,
    OpenPortal,
    OpenToken,
    Params,
    Proposal,
    ProposalState,
    ProtocolParams,
    Settlement,
    TimelockController,
    VoteType,
)
from openledger_kit.contracts.config import (
    DeployConfig,
    GovernanceConfig,
    OutputsConfig,
    ParamsConfig,
    RoleAccounts,
    StakingConfig,
    TokenConfig,
    load_deploy_file,
)
from openledger_kit.contracts.deploy import (
    L1_CONTRACTS,
    L2_CONTRACTS,
    deploy_platform,
    deployment_problems,
)
from openledger_kit.contracts.deposits import (
    DepositTransaction,
    decode_deposit,
    deposits_in,
    user_deposit_source_hash,
)
from openledger_kit.contracts.withdrawals import OutputRootProof, WithdrawalTransaction

__all__ = [
    "L1_CONTRACTS",
    "L2_CONTRACTS",
    "AdapterRegistration",
    "AttributionRewards",
    "BatchInbox",
    "Call",
    "DatanetRegistry",
    "DeployConfig",
    "DepositTransaction",
    "GOpen",
    "GovernanceConfig",
    "InferencePool",
    "L1Contracts",
    "L2Contracts",
    "L2OutputOracle",
    "L2ToL1MessagePasser",
    "ModelRegistry",
    "OpenGovernor",
    "OpenPortal",
    "OpenToken",
    "OutputRootProof",
    "OutputsConfig",
    "Params",
    "ParamsConfig",
    "Proposal",
    "ProposalState",
    "ProtocolParams",
    "RoleAccounts",
    "Settlement",
    "StakingConfig",
    "TimelockController",
    "TokenConfig",
    "VoteType",
    "WithdrawalTransaction",
    "decode_deposit",
    "deploy_platform",
    "deployment_problems",
    "deposits_in",
    "load_deploy_file",
    "user_deposit_source_hash",
]
