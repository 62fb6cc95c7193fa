"""Unauthorised callers are rejected on every restricted function of every contract.

The table below names, per contract, each state-changing function that only some account may
call, with the call a stranger makes and the custom error it must revert with; every other
state-changing function is listed as open to anyone, with the reason. A test checks that the
two lists cover each contract's ABI exactly, so a restricted function added later without an
entry here fails the suite."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openledger_kit.chain import TransactionReverted
from openledger_kit.contracts import L1_CONTRACTS, L2_CONTRACTS
from openledger_kit.contracts.bindings import (
    DatanetRegistry,
    OpenGovernor,
    Proposal,
    ProtocolParams,
    role_id,
)
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.testing import DeployedPlatform, fresh_account

ACCESS_CONTROLLED = (
    "OpenToken",
    "L2OutputOracle",
    "BatchInbox",
    "OpenPortal",
    "TimelockController",
    "ProtocolParams",
    "DatanetRegistry",
    "ModelRegistry",
    "InferencePool",
    "AttributionRewards",
)
ERC20 = ("approve", "transfer", "transferFrom", "permit", "delegate", "delegateBySig")
RECEIVERS = ("onERC721Received", "onERC1155Received", "onERC1155BatchReceived")

OPEN_TO_ANYONE: dict[str, tuple[str, ...]] = {
    # A holder acts on its own tokens, allowances and delegation.
    "OpenToken": ERC20,
    "GOpen": (*ERC20, "deposit", "depositFor", "withdraw", "withdrawTo"),
    # Deposits are anyone's; withdrawals are proven against output roots, not by role.
    "OpenPortal": ("depositOPEN", "proveWithdrawalTransaction", "finalizeWithdrawalTransaction"),
    # EXECUTOR_ROLE is held by address(0): anyone executes an operation once it is ready.
    "TimelockController": ("execute", "executeBatch", *RECEIVERS),
    # Proposing is gated by the vote threshold, voting by voting power, queue/execute by state.
    "OpenGovernor": (
        "propose",
        "castVote",
        "castVoteBySig",
        "castVoteWithReason",
        "castVoteWithReasonAndParams",
        "castVoteWithReasonAndParamsBySig",
        "queue",
        "execute",
        *RECEIVERS,
    ),
    # Contributors and providers manage their own stake.
    "DatanetRegistry": ("stake", "requestUnstake", "withdrawStake"),
    "InferencePool": ("stake", "register", "requestExit", "withdraw"),
    # Each account claims only its own credit.
    "AttributionRewards": ("claim", "claimTo"),
    "L2ToL1MessagePasser": ("initiateWithdrawal",),
}

ZERO32 = bytes(32)
SOMEONE = "0x" + "22" * 20


@dataclass(frozen=True)
class Context:
    """What the stranger's calls refer to."""

    stranger: str
    datanet: bytes
    proposal: Proposal
    proposal_id: int


@dataclass(frozen=True)
class Restricted:
    """A restricted function, the arguments a stranger calls it with, and the revert."""

    contract: str
    function: str
    args: Callable[[Context], tuple[Any, ...]]
    error: str
    error_args: Callable[[Context], tuple[Any, ...]]


def only_role(contract: str, function: str, role: str, *args: Any) -> Restricted:
    return Restricted(
        contract,
        function,
        lambda _: args,
        "AccessControlUnauthorizedAccount",
        lambda ctx: (ctx.stranger.lower(), role_id(role)),
    )


def own_error(
    contract: str,
    function: str,
    args: Callable[[Context], tuple[Any, ...]],
    error: str,
    error_args: Callable[[Context], tuple[Any, ...]],
) -> Restricted:
    return Restricted(contract, function, args, error, error_args)


def role_admin_functions(contract: str) -> list[Restricted]:
    """grantRole/revokeRole need the role's admin role; nobody renounces for someone else."""
    admin = role_id("DEFAULT_ADMIN_ROLE")
    return [
        only_role(contract, "grantRole", "DEFAULT_ADMIN_ROLE", admin, SOMEONE),
        only_role(contract, "revokeRole", "DEFAULT_ADMIN_ROLE", admin, SOMEONE),
        own_error(contract, "renounceRole", lambda _: (admin, SOMEONE),
                  "AccessControlBadConfirmation", lambda _: ()),
    ]  # fmt: skip


def _governor_only(function: str, *args: Any) -> Restricted:
    return own_error(
        "OpenGovernor", function, lambda _: args, "GovernorOnlyExecutor",
        lambda ctx: (ctx.stranger.lower(),),
    )  # fmt: skip


PARAMS = (100, 7_000, 2_000, 1_000, 60, 1_000, 1_000)
REGISTRATION: tuple[Any, ...] = ("adapter-x", 1, b"\x01" * 32, b"\x02" * 32, [], SOMEONE, 0)
SETTLEMENT = (b"\x03" * 32, [SOMEONE], [0], b"\x04" * 32)

RESTRICTED: list[Restricted] = [
    *(entry for name in ACCESS_CONTROLLED for entry in role_admin_functions(name)),
    only_role("OpenToken", "mint", "MINTER_ROLE", SOMEONE, OPEN),
    only_role("L2OutputOracle", "proposeL2Output", "PROPOSER_ROLE", b"\x05" * 32, 1, ZERO32, 0),
    only_role("L2OutputOracle", "deleteL2Outputs", "CHALLENGER_ROLE", 0),
    only_role("BatchInbox", "recordBatch", "BATCHER_ROLE", 0, b"\x06" * 32, b"\x07" * 32),
    only_role("BatchInbox", "postBatchData", "BATCHER_ROLE", 0, b"frames"),
    only_role("OpenPortal", "pause", "GUARDIAN_ROLE"),
    only_role("OpenPortal", "unpause", "GUARDIAN_ROLE"),
    only_role("TimelockController", "schedule", "PROPOSER_ROLE",
              SOMEONE, 0, b"", ZERO32, ZERO32, 1),
    only_role("TimelockController", "scheduleBatch", "PROPOSER_ROLE",
              [SOMEONE], [0], [b""], ZERO32, ZERO32, 1),
    only_role("TimelockController", "cancel", "CANCELLER_ROLE", ZERO32),
    own_error("TimelockController", "updateDelay", lambda _: (0,), "TimelockUnauthorizedCaller",
              lambda ctx: (ctx.stranger.lower(),)),
    _governor_only("relay", SOMEONE, 0, b""),
    _governor_only("setProposalThreshold", 0),
    _governor_only("setVotingDelay", 0),
    _governor_only("setVotingPeriod", 1),
    _governor_only("updateQuorumNumerator", 1),
    _governor_only("updateTimelock", SOMEONE),
    own_error("OpenGovernor", "cancel", lambda ctx: ctx.proposal._by_hash(),
              "GovernorUnableToCancel", lambda ctx: (ctx.proposal_id, ctx.stranger.lower())),
    only_role("ProtocolParams", "setParams", "PARAMS_ADMIN_ROLE", PARAMS),
    only_role("ProtocolParams", "setAttributionThresholdBps", "PARAMS_ADMIN_ROLE", 0),
    only_role("ProtocolParams", "setFeeSplit", "PARAMS_ADMIN_ROLE", 10_000, 0, 0),
    only_role("ProtocolParams", "setChallengeWindowSeconds", "PARAMS_ADMIN_ROLE", 1),
    only_role("ProtocolParams", "setSlashingRates", "PARAMS_ADMIN_ROLE", 10_000, 10_000),
    only_role("ProtocolParams", "setTreasury", "PARAMS_ADMIN_ROLE", SOMEONE),
    only_role("DatanetRegistry", "createDatanet", "REGISTRAR_ROLE",
              b"\x08" * 32, SOMEONE, 0, ZERO32),
    own_error("DatanetRegistry", "updateDatanet", lambda ctx: (ctx.datanet, SOMEONE, 0, ZERO32),
              "NotCuratorOrRegistrar", lambda ctx: (ctx.stranger.lower(),)),
    only_role("DatanetRegistry", "anchorSnapshot", "CURATION_ROLE",
              b"\x08" * 32, 1, b"\x09" * 32, 1, ZERO32),
    only_role("DatanetRegistry", "slash", "CURATION_ROLE", b"\x08" * 32, SOMEONE, 1, ZERO32),
    only_role("ModelRegistry", "registerBaseModel", "CATALOGUE_ROLE",
              b"\x0a" * 32, b"\x0b" * 32, "base", SOMEONE, 0),
    only_role("ModelRegistry", "registerAdapter", "REGISTRAR_ROLE", REGISTRATION),
    only_role("InferencePool", "slash", "SLASHER_ROLE", SOMEONE, 1, ZERO32),
    only_role("AttributionRewards", "settle", "ATTRIBUTION_ROLE", *SETTLEMENT),
    only_role("AttributionRewards", "settleBatch", "ATTRIBUTION_ROLE", [SETTLEMENT]),
]  # fmt: skip


def test_the_table_covers_every_state_changing_function(platform: DeployedPlatform) -> None:
    for chain, names in (("l1", L1_CONTRACTS), ("l2", L2_CONTRACTS)):
        for name in names:
            abi = platform.manifest.entry(chain, name).abi
            changing = {
                item["name"]
                for item in abi
                if item["type"] == "function" and item["stateMutability"] not in ("view", "pure")
            }
            restricted = {entry.function for entry in RESTRICTED if entry.contract == name}
            anyone = set(OPEN_TO_ANYONE.get(name, ()))
            assert not restricted & anyone, name
            assert restricted | anyone == changing, name


async def test_unauthorised_callers_are_rejected_on_every_restricted_function(
    platform: DeployedPlatform,
) -> None:
    stranger = await fresh_account(platform.l1, platform.l2)
    # updateDatanet needs an existing datanet; cancel an existing proposal (by someone else).
    registrar = await platform.bind(DatanetRegistry, platform.accounts["datanet_registrar"])
    datanet = DatanetRegistry.datanet_id(f"access-{os.urandom(4).hex()}")
    await registrar.create_datanet(datanet, platform.accounts["curation"].address, 0, ZERO32)
    proposer = await fresh_account(platform.l2)
    governor = await platform.bind(OpenGovernor, proposer)
    params = await platform.bind(ProtocolParams)
    proposal = Proposal.of(
        [params.set_attribution_threshold_call(1)], f"access test {os.urandom(4).hex()}"
    )
    ctx = Context(stranger.address, datanet, proposal, await governor.propose(proposal))

    async def attempt(entry: Restricted) -> tuple[str, str, str | None, tuple[Any, ...]]:
        chain = "l1" if entry.contract in L1_CONTRACTS else "l2"
        contract = await platform.manifest.contract(platform.w3(chain), chain, entry.contract)
        fn = contract.functions[entry.function](*entry.args(ctx))
        try:
            # A fixed gas limit skips estimation: the call is mined and reverts on chain.
            await platform.sender(stranger, chain).transact(fn, gas=2_000_000)
        except TransactionReverted as reverted:
            assert reverted.tx_hash is not None and reverted.receipt["status"] == 0
            return entry.contract, entry.function, reverted.error_name, reverted.error_args
        return entry.contract, entry.function, "NO REVERT", ()

    outcomes = await asyncio.gather(*(attempt(entry) for entry in RESTRICTED))

    expected = [
        (entry.contract, entry.function, entry.error, entry.error_args(ctx)) for entry in RESTRICTED
    ]
    assert outcomes == expected
    assert len(outcomes) == len(RESTRICTED) >= 60
