"""What a platform deployment is made of: the constructor values (``DeployConfig``) and the
accounts that receive each role (``RoleAccounts``).

The defaults suit a local chain: short governance delays and cooldowns so that tests and the
demo run whole flows in seconds. A deployment file (``--config``) is JSON or TOML with the
``DeployConfig`` fields and an optional ``roles`` table::

    challenge_window_seconds = 604800
    [governance]
    voting_period_seconds = 432000
    [roles]
    proposer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Self

from eth_utils.address import is_address, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openledger_kit.errors import InvalidArgument, NotFound

MAX_BPS = 10_000
# ERC20Votes checkpoints hold uint208: OpenToken refuses a larger cap.
MAX_VOTES_SUPPLY = 2**208 - 1
# ProtocolParams accepts challenge windows in [1 s, 30 days].
MAX_CHALLENGE_WINDOW_SECONDS = 30 * 24 * 3600
OPEN = 10**18
"""One OPEN in wei (18 decimals)."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenConfig(_Section):
    """``OpenToken`` on L1 (amounts in wei)."""

    cap_wei: int = Field(1_000_000_000 * OPEN, gt=0, le=MAX_VOTES_SUPPLY)
    initial_supply_wei: int = Field(100_000_000 * OPEN, ge=0)

    @model_validator(mode="after")
    def _supply_within_cap(self) -> Self:
        if self.initial_supply_wei > self.cap_wei:
            raise ValueError("initial_supply_wei exceeds cap_wei")
        return self


class GovernanceConfig(_Section):
    """``OpenGovernor`` and its ``TimelockController``. GOpen's clock is the block timestamp, so
    delays and periods are seconds."""

    voting_delay_seconds: int = Field(1, ge=0, lt=2**48)
    voting_period_seconds: int = Field(60, gt=0, lt=2**32)
    proposal_threshold_wei: int = Field(0, ge=0)
    quorum_percent: int = Field(4, ge=0, le=100, description="of the gOPEN supply")
    timelock_delay_seconds: int = Field(1, ge=0)


class ParamsConfig(_Section):
    """The initial ``ProtocolParams`` (basis points; the challenge window is set once, in
    ``DeployConfig``, for both the L1 oracle and the L2 parameters)."""

    attribution_threshold_bps: int = Field(500, ge=0, le=MAX_BPS)
    contributors_bps: int = Field(7_000, ge=0, le=MAX_BPS)
    model_owner_bps: int = Field(2_000, ge=0, le=MAX_BPS)
    protocol_bps: int = Field(1_000, ge=0, le=MAX_BPS)
    contributor_slash_bps: int = Field(1_000, ge=0, le=MAX_BPS)
    provider_slash_bps: int = Field(1_000, ge=0, le=MAX_BPS)

    @model_validator(mode="after")
    def _split_is_whole(self) -> Self:
        total = self.contributors_bps + self.model_owner_bps + self.protocol_bps
        if total != MAX_BPS:
            raise ValueError(f"the fee split must add up to {MAX_BPS} bps, not {total}")
        return self


class StakingConfig(_Section):
    """Stake requirements and cooldowns of the L2 registries."""

    unstake_cooldown_seconds: int = Field(60, ge=0, lt=2**64)
    provider_min_stake_wei: int = Field(1 * OPEN, gt=0)
    provider_exit_cooldown_seconds: int = Field(60, ge=0, lt=2**64)


class OutputsConfig(_Section):
    """``L2OutputOracle``'s grid of proposable L2 blocks."""

    starting_block_number: int = Field(0, ge=0, lt=2**128)
    submission_interval: int = Field(1, gt=0)


class DeployConfig(_Section):
    """Every value the platform's constructors take (see each section)."""

    challenge_window_seconds: int = Field(
        60,
        ge=1,
        le=MAX_CHALLENGE_WINDOW_SECONDS,
        description="on the L1 output oracle and in the L2 ProtocolParams alike",
    )
    token: TokenConfig = TokenConfig()
    governance: GovernanceConfig = GovernanceConfig()
    params: ParamsConfig = ParamsConfig()
    staking: StakingConfig = StakingConfig()
    outputs: OutputsConfig = OutputsConfig()


@dataclass(frozen=True)
class RoleAccounts:
    """Who holds each role. ``None`` means the deployer (the local default), except
    ``l2_admin``, where ``None`` means the governance timelock. There is no treasury role: the
    treasury is ``ProtocolParams.treasury()``, the timelock until governance sets another.

    ``admin`` administers the L1 contracts' roles; ``l2_admin`` receives ``DEFAULT_ADMIN_ROLE`` on
    the L2 registries once the deployer has granted the service roles (the deployer then
    renounces it unless it is the ``l2_admin`` itself).
    """

    admin: str | None = None
    token_holder: str | None = None
    guardian: str | None = None
    proposer: str | None = None
    challenger: str | None = None
    batcher: str | None = None
    datanet_registrar: str | None = None
    curation: str | None = None
    catalogue: str | None = None
    model_registrar: str | None = None
    attribution: str | None = None
    slasher: str | None = None
    l2_admin: str | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if not isinstance(value, str) or not is_address(value):
                raise InvalidArgument(f"roles.{field.name}", f"not an address: {value!r}")
            object.__setattr__(self, field.name, str(to_checksum_address(value)))

    def resolved(self, deployer: str) -> RoleAccounts:
        """A copy with every deployer-defaulted role set to ``deployer`` (``l2_admin`` stays
        ``None``: the timelock is known only once it is deployed)."""
        deployer = str(to_checksum_address(deployer))
        chosen = {
            field.name: getattr(self, field.name) or deployer
            for field in fields(self)
            if field.name != "l2_admin"
        }
        return replace(self, **chosen)

    def require(self, name: str) -> str:
        """The address of role ``name``; ``InvalidArgument`` if it is unset."""
        value = getattr(self, name)
        if value is None:
            raise InvalidArgument(f"roles.{name}", "unset: call resolved(deployer) first")
        return str(value)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> RoleAccounts:
        """From a ``roles`` table; unknown role names are refused."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidArgument("roles", f"unknown role(s): {', '.join(unknown)}")
        return cls(**data)


def load_deploy_file(path: str | os.PathLike[str]) -> tuple[DeployConfig, RoleAccounts]:
    """Read a deployment file (``.toml``, else JSON): the config and its ``roles`` table."""
    file = Path(path)
    try:
        text = file.read_text()
    except FileNotFoundError:
        raise NotFound(
            f"no deployment config at {file}", reason="DEPLOY_CONFIG_NOT_FOUND"
        ) from None
    try:
        data = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if file.suffix == ".toml" else "JSON"
        raise InvalidArgument("config", f"{file} is not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidArgument("config", f"{file} must hold a table of settings")
    roles_data = data.pop("roles", {})
    if not isinstance(roles_data, dict):
        raise InvalidArgument("roles", "must be a table of role = address")
    try:
        config = DeployConfig.model_validate(data)
    except ValidationError as exc:
        raise InvalidArgument("config", f"{file}: {exc}") from None
    return config, RoleAccounts.from_mapping(roles_data)
