"""Chain helpers over web3.py (async): connecting, the service's signing key, nonces, sending
transactions with typed failures, contract artifacts, the deployment manifest and deploying.

    w3 = await connect(settings.l2_rpc_url, expected_chain_id=901)
    account = load_account(env="OL_DATANET_SIGNING_KEY")
    sender = TxSender(w3, account)
    registry = await DeploymentManifest.load(path).contract(w3, "l2", "DatanetRegistry")
    receipt = await sender.transact(registry.functions.anchorSnapshot(root))
"""

from openledger_kit.chain.artifacts import (
    Artifact,
    ChainDeployment,
    DeployedContract,
    DeploymentManifest,
    artifact_path,
    load_artifact,
)
from openledger_kit.chain.connection import connect, connected, endpoint_label
from openledger_kit.chain.deploy import Deployment, deploy
from openledger_kit.chain.errors import (
    ChainIdMismatch,
    ChainUnavailable,
    ReceiptTimeout,
    TransactionRejected,
    TransactionReverted,
)
from openledger_kit.chain.keys import ServiceAccount, load_account, parse_private_key
from openledger_kit.chain.nonces import NonceManager
from openledger_kit.chain.revert import RevertInfo, decode_revert
from openledger_kit.chain.transactions import TxSender

__all__ = [
    "Artifact",
    "ChainDeployment",
    "ChainIdMismatch",
    "ChainUnavailable",
    "DeployedContract",
    "Deployment",
    "DeploymentManifest",
    "NonceManager",
    "ReceiptTimeout",
    "RevertInfo",
    "ServiceAccount",
    "TransactionRejected",
    "TransactionReverted",
    "TxSender",
    "artifact_path",
    "connect",
    "connected",
    "decode_revert",
    "deploy",
    "endpoint_label",
    "load_account",
    "load_artifact",
    "parse_private_key",
]
