"""Contract artifacts from the contracts build, and the deployment manifest.

Artifacts follow Foundry's layout: ``contracts/out/<File>.sol/<Name>.json`` with ``abi`` and
``bytecode.object``.

The deployment manifest says where each contract lives on each chain. The deploy step writes it;
services read it to find their contracts. Its JSON (``DeploymentManifest.model_json_schema()``
gives the schema)::

    {
      "chains": {
        "l1": {"chain_id": 900, "contracts": {
          "OpenToken": {"address": "0x…", "abi": [...], "block": 3}
        }},
        "l2": {"chain_id": 901, "contracts": {...}}
      }
    }

Chains are named by role (``l1``, ``l2``); contracts by their Solidity name; ``block`` is the
block of the deployment (where event scans start). Addresses are stored checksummed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from eth_utils.address import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from web3 import AsyncWeb3
from web3.contract import AsyncContract

from openledger_kit.chain.connection import endpoint_of, transport_errors
from openledger_kit.chain.errors import ChainIdMismatch
from openledger_kit.errors import InvalidArgument, NotFound


def _checksummed(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"not an Ethereum address: {value!r}")
    return str(to_checksum_address(value))


Address = Annotated[str, AfterValidator(_checksummed)]
AbiJson = list[dict[str, Any]]


class Artifact(BaseModel):
    """A compiled contract: its name, ABI and creation bytecode (``0x``-prefixed hex)."""

    model_config = ConfigDict(frozen=True)

    name: str
    abi: AbiJson
    bytecode: str

    @property
    def deployable(self) -> bool:
        """False for interfaces and abstract contracts, and for unlinked library references."""
        return len(self.bytecode) > 2 and "__$" not in self.bytecode

    @classmethod
    def from_foundry_json(cls, path: str | os.PathLike[str], name: str | None = None) -> Artifact:
        """Read a Foundry artifact file; the name defaults to the file's stem."""
        file = Path(path)
        try:
            data = json.loads(file.read_text())
        except FileNotFoundError:
            raise NotFound(f"no artifact at {file}", reason="ARTIFACT_NOT_FOUND") from None
        try:
            bytecode = data["bytecode"]["object"] if isinstance(data["bytecode"], dict) else ""
            abi = data["abi"]
        except (KeyError, TypeError):
            raise InvalidArgument(
                "artifact", f"{file} is not a Foundry artifact (needs abi and bytecode.object)"
            ) from None
        if bytecode and not bytecode.startswith("0x"):
            bytecode = "0x" + bytecode
        return cls(name=name or file.stem, abi=abi, bytecode=bytecode or "0x")


def artifact_path(
    out_dir: str | os.PathLike[str], name: str, *, source_file: str | None = None
) -> Path:
    """``<out_dir>/<File>.sol/<Name>.json``; ``source_file`` defaults to ``<Name>.sol``."""
    source = source_file or f"{name}.sol"
    if not source.endswith(".sol"):
        source += ".sol"
    return Path(out_dir) / Path(source).name / f"{name}.json"


def load_artifact(
    out_dir: str | os.PathLike[str], name: str, *, source_file: str | None = None
) -> Artifact:
    """The artifact of contract ``name`` from a Foundry ``out/`` directory."""
    return Artifact.from_foundry_json(artifact_path(out_dir, name, source_file=source_file), name)


class DeployedContract(BaseModel):
    """One deployed contract: address, ABI and deployment block."""

    address: Address
    abi: AbiJson
    block: int = Field(ge=0)


class ChainDeployment(BaseModel):
    """The contracts deployed on one chain."""

    chain_id: int = Field(gt=0)
    contracts: dict[str, DeployedContract] = Field(default_factory=dict)


class DeploymentManifest(BaseModel):
    """Where every contract lives, per chain role (see the module docstring)."""

    chains: dict[str, ChainDeployment] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DeploymentManifest:
        """Read and validate a manifest file."""
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            raise NotFound(
                f"no deployment manifest at {path}", reason="MANIFEST_NOT_FOUND"
            ) from None
        return cls.model_validate_json(text)

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write the manifest atomically (readers never see half a file), mode 0644."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            # mkstemp creates 0600; services running as other users must read the manifest
            # (it holds only public addresses), so widen it before it takes the final name.
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "w") as file:
                file.write(self.model_dump_json(indent=2))
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def record(self, chain: str, chain_id: int, name: str, deployed: DeployedContract) -> None:
        """Add or replace one contract of one chain."""
        existing = self.chains.get(chain)
        if existing is None:
            existing = self.chains[chain] = ChainDeployment(chain_id=chain_id)
        elif existing.chain_id != chain_id:
            raise InvalidArgument(
                "chain_id", f"chain {chain!r} is recorded as {existing.chain_id}, not {chain_id}"
            )
        existing.contracts[name] = deployed

    def entry(self, chain: str, name: str) -> DeployedContract:
        """The record of contract ``name`` on ``chain``; ``NotFound`` when absent."""
        deployment = self.chains.get(chain)
        if deployment is None:
            raise NotFound(f"no chain {chain!r} in the manifest", reason="CHAIN_NOT_DEPLOYED")
        deployed = deployment.contracts.get(name)
        if deployed is None:
            raise NotFound(
                f"no contract {name!r} on chain {chain!r}", reason="CONTRACT_NOT_DEPLOYED"
            )
        return deployed

    async def contract(self, w3: AsyncWeb3[Any], chain: str, name: str) -> AsyncContract:
        """The contract bound to ``w3``, after checking that ``w3`` serves that chain."""
        deployed = self.entry(chain, name)
        expected = self.chains[chain].chain_id
        endpoint = endpoint_of(w3)
        with transport_errors(endpoint):
            actual = int(await w3.eth.chain_id)
        if actual != expected:
            raise ChainIdMismatch(expected, actual, endpoint)
        return w3.eth.contract(address=to_checksum_address(deployed.address), abi=deployed.abi)
