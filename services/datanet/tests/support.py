"""Shared helpers of the datanet service tests: the deployed registry, settings for a server on
real Redis / anvil / SQLite, signed clients, signed records and polling."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from openledger.datanet.v1 import contribution_pb2, curation_pb2, datanet_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
from openledger_datanet.api.convert import dict_to_struct, policy_to_proto
from openledger_datanet.config import Settings
from openledger_datanet.domain.canonical import content_hash
from openledger_datanet.domain.curation import Policy
from openledger_kit.chain import DeploymentManifest, ServiceAccount
from openledger_kit.client import connect
from openledger_kit.contracts import RoleAccounts, deploy_platform
from openledger_kit.contracts.testing import fresh_account

T = TypeVar("T")

DEPLOYMENT_ID = "openledger-test-datanet"
SERVICE_TOKEN = "datanet-test-service-token"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}, "topic": {"type": "string"}},
    "additionalProperties": False,
}


@dataclass
class Chain:
    """The platform deployed once per session; ``service`` holds REGISTRAR and CURATION."""

    manifest: DeploymentManifest
    manifest_path: Path
    service: ServiceAccount
    key_file: Path
    l1: AsyncWeb3[Any]
    l2: AsyncWeb3[Any]
    l2_url: str

    async def account(self, ether: int = 100) -> ServiceAccount:
        """A fresh account funded on both chains."""
        return await fresh_account(self.l1, self.l2, ether=ether)


async def deploy_chain(
    l1: AsyncWeb3[Any], l2: AsyncWeb3[Any], l1_url: str, l2_url: str, artifacts: Path, where: Path
) -> Chain:
    deployer = await fresh_account(l1, l2)
    service = await fresh_account(l1, l2)
    manifest_path = where / "deployments.json"
    manifest = await deploy_platform(
        l1_url,
        l2_url,
        deployer=deployer,
        roles=RoleAccounts(datanet_registrar=service.address, curation=service.address),
        artifacts_dir=artifacts,
        manifest_path=manifest_path,
    )
    key_file = where / "service.key"
    key_file.write_text("0x" + bytes(service.key).hex())
    key_file.chmod(0o600)
    return Chain(manifest, manifest_path, service, key_file, l1, l2, l2_url)


def settings(
    chain: Chain, redis_url: str, state: Path, *, role: str = "all", **overrides: Any
) -> Settings:
    """Settings of a server on port 0 over ``state`` (SQLite file and object dir)."""
    values: dict[str, Any] = {
        "grpc_port": 0,
        "role": role,
        "redis_url": redis_url,
        "database_url": f"sqlite:///{state / 'datanet.db'}",
        "object_store_url": str(state / "objects"),
        "l2_rpc_url": chain.l2_url,
        "deployment_manifest": chain.manifest_path,
        "account_key_file": chain.key_file,
        "service_token": SERVICE_TOKEN,
        "deployment_id": DEPLOYMENT_ID,
        "auth_nonce_store": "memory",
        "bus_consumer_name": f"worker-{uuid.uuid4().hex[:8]}",
        "bus_visibility_timeout_seconds": 5.0,
        "embedder_enabled": False,
        "stake_cache_seconds": 0.0,
        "shutdown_grace_seconds": 2.0,
        "log_json": False,
    }
    values.update(overrides)
    return Settings(**values)


def stub(
    port: int, *, signer: LocalAccount | None = None, token: str | None = None
) -> tuple[grpc.aio.Channel, pb_grpc.DatanetServiceStub]:
    channel = connect(
        f"127.0.0.1:{port}",
        signer=signer,
        token=token,
        deployment_id=DEPLOYMENT_ID if signer is not None else None,
        options=[
            ("grpc.max_receive_message_length", 32 * 1024 * 1024),
            ("grpc.max_send_message_length", 32 * 1024 * 1024),
        ],
    )
    return channel, pb_grpc.DatanetServiceStub(channel)  # type: ignore[no-untyped-call]


def request_id() -> str:
    return str(uuid.uuid4())


def sign_hash(account: LocalAccount, digest: bytes) -> bytes:
    return bytes(account.sign_message(encode_defunct(primitive=digest)).signature)


def record(
    account: LocalAccount, content: Mapping[str, Any], *, signer: LocalAccount | None = None
) -> contribution_pb2.ContributionRecord:
    """A record signed by ``signer`` (default: its contributor ``account``)."""
    digest = content_hash(dict(content))
    return contribution_pb2.ContributionRecord(
        content=dict_to_struct(content),
        contributor=account.address,
        content_hash=digest,
        signature=sign_hash(signer or account, digest),
    )


def policy(**changes: Any) -> curation_pb2.CurationPolicy:
    base = Policy.default()
    fields = {**base.__dict__, "text_field_paths": ("/text",), **changes}
    return policy_to_proto(Policy(**fields))


def create_request(
    datanet_id: str,
    curator: str,
    *,
    stake_required: int = 0,
    schema: Mapping[str, Any] | None = None,
    curation_policy: curation_pb2.CurationPolicy | None = None,
) -> pb.CreateDatanetRequest:
    return pb.CreateDatanetRequest(
        request_id=request_id(),
        datanet_id=datanet_id,
        datanet=datanet_pb2.Datanet(
            display_name=f"Test {datanet_id}",
            domain="testing",
            description="a datanet made by a test",
            record_schema=dict_to_struct(schema or SCHEMA),
            curation_policy=curation_policy or policy(),
            stake_required=str(stake_required),
            curator=curator,
        ),
    )


async def eventually(
    probe: Callable[[], Awaitable[T]],
    ok: Callable[[T], bool],
    *,
    timeout: float = 60.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll ``probe`` until ``ok`` holds for its value; fail with the last value after
    ``timeout`` seconds (a bound for a broken system, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    value = await probe()
    while not ok(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)
        value = await probe()
    return value


async def wait_active(stub: pb_grpc.DatanetServiceStub, name: str) -> datanet_pb2.Datanet:
    response = await eventually(
        lambda: stub.GetDatanet(pb.GetDatanetRequest(name=name)),
        lambda r: r.datanet.state != datanet_pb2.DATANET_STATE_REGISTERING,
        what=f"{name} registered",
    )
    datanet: datanet_pb2.Datanet = response.datanet
    assert datanet.state == datanet_pb2.DATANET_STATE_ACTIVE, datanet
    return datanet


async def wait_curated(
    stub: pb_grpc.DatanetServiceStub, parent: str, count: int, *, timeout: float = 120.0
) -> None:
    """Until no contribution of ``parent`` is PENDING and ``count`` exist."""

    async def probe() -> datanet_pb2.Datanet:
        response: pb.GetDatanetResponse = await stub.GetDatanet(pb.GetDatanetRequest(name=parent))
        return response.datanet

    await eventually(
        probe,
        lambda d: d.pending_count == 0 and d.accepted_count + d.rejected_count >= count,
        timeout=timeout,
        interval=0.2,
        what=f"{count} contributions of {parent} curated",
    )


def settings_env(values: Settings) -> dict[str, str]:
    """``values`` as the ``OL_DATANET_*`` environment a service subprocess reads."""
    env: dict[str, str] = {}
    for name, value in values.model_dump(mode="json").items():
        if value is None:
            continue
        if hasattr(values, name) and name == "service_token" and values.service_token:
            value = values.service_token.get_secret_value()
        if isinstance(value, list | dict):
            import json

            env[f"OL_DATANET_{name.upper()}"] = json.dumps(value)
        else:
            env[f"OL_DATANET_{name.upper()}"] = str(value)
    return env
