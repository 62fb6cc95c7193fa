"""``openledger datanet`` as a user runs it, against the real server: create from a YAML spec,
contribute a JSONL file signed with a key file, status, snapshot (create and wait) and proof
(verified locally and on chain)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.server import DatanetServer
from services.datanet.tests.support import DEPLOYMENT_ID, Chain, stub

pytestmark = pytest.mark.slow

SPEC = """\
id: dn-cli
display_name: CLI datanet
domain: geography
description: made by the CLI test
stake_required: "0"
record_schema:
  type: object
  required: [text]
  properties:
    text: {type: string}
curation_policy:
  textFieldPaths: ["/text"]
  minLengthChars: 20
  nearDuplicateThreshold: 0.8
"""

RECORDS = [
    {"text": "The Nile flows north through eleven countries into the Mediterranean Sea."},
    {"text": "Mount Everest grows a few millimetres every year as the plates still collide."},
    {"text": "The Nile flows north through eleven countries into the Mediterranean Sea."},
    {"text": "tiny"},
]


def openledger(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("openledger")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "openledger_kit.cli"]
    return subprocess.run(
        [*command, "datanet", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


async def run(*args: str | Path, env: dict[str, str]) -> str:
    done = await asyncio.to_thread(openledger, *args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_cli_end_to_end(server: DatanetServer, chain: Chain, tmp_path: Path) -> None:
    curator = await chain.account()
    key = tmp_path / "curator.key"
    key.write_text("0x" + bytes(curator.key).hex())
    key.chmod(0o600)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    env = {
        "OL_DATANET_ADDR": f"127.0.0.1:{server.port}",
        "OL_L2_RPC_URL": chain.l2_url,
        "OL_DEPLOYMENT_MANIFEST": str(chain.manifest_path),
    }
    signed = ("--key-file", key, "--deployment-id", DEPLOYMENT_ID)

    out = await run("create", spec, *signed, env=env)
    assert "datanets/dn-cli: DATANET_STATE_ACTIVE" in out and curator.address in out

    out = await run("contribute", "dn-cli", records, *signed, env=env)
    assert "4 queued (1 already submitted), 0 refused" in out

    channel, api = stub(server.port)
    try:
        for _ in range(300):
            d = (await api.GetDatanet(pb.GetDatanetRequest(name="datanets/dn-cli"))).datanet
            if d.pending_count == 0:
                break
            await asyncio.sleep(0.1)
        listed = await api.ListContributions(pb.ListContributionsRequest(parent="datanets/dn-cli"))
    finally:
        await channel.close()
    rejected = [c for c in listed.contributions if c.rejections]
    assert len(rejected) == 1

    out = await run("status", "dn-cli", env=env)
    assert "2 accepted, 1 rejected, 0 pending, 1 contributors" in out
    out = await run("status", "dn-cli", "--contributor", curator.address, env=env)
    assert "2 accepted, 1 rejected" in out
    rejected_id = rejected[0].name.rsplit("/", 1)[1]
    out = await run("status", "dn-cli", "--contribution", rejected_id, env=env)
    assert "REJECTED" in out and "REJECTION_REASON_TOO_SHORT" in out

    out = await run("snapshot", "dn-cli", *signed, env=env)
    assert "datanets/dn-cli/snapshots/v1: JOB_STATE_SUCCEEDED" in out
    assert "2 records from 1 contributors" in out

    accepted_id = next(c for c in listed.contributions if c.accept_sequence == 2).name
    out = await run(
        "proof",
        "datanets/dn-cli/snapshots/v1",
        accepted_id.rsplit("/", 1)[1],
        "--on-chain",
        env=env,
    )
    assert "is leaf 1 of 2" in out
    assert "local verification: OK" in out
    assert "anchored root matches; DatanetRegistry.verifyRecord: True" in out

    # A failed call names its reason and exits 1.
    failed = await asyncio.to_thread(openledger, "status", "no-such-datanet", env=env)
    assert failed.returncode == 1 and "NOT_FOUND [DATANET_NOT_FOUND]" in failed.stderr
