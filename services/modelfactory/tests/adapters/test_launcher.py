"""The launchers. ``LocalLauncher`` with the real driver as a subprocess: one whose datanet
refuses connections fails fast, reports it on the run channel and is reaped; one whose datanet
never answers keeps running until ``stop``, also from a launcher that did not start it. The
``RayJob`` of ``KubeRayLauncher`` is checked as rendered (no cluster exists here)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from openledger_kit.errors import FailedPrecondition, InvalidArgument
from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.adapters.launcher import (
    DRIVER_MODULE,
    KubeRayLauncher,
    LocalLauncher,
    make_launcher,
    rayjob_manifest,
    settings_env,
)
from openledger_modelfactory.adapters.run_channel import AsyncRunChannel
from openledger_modelfactory.config import Settings
from openledger_modelfactory.domain.model import new_id
from openledger_modelfactory.training.events import RunFailed
from openledger_modelfactory.training.spec import RunSpec
from services.modelfactory.tests import domain_samples as samples


def spec(attempt: int = 1, **config: object) -> RunSpec:
    return RunSpec(
        job_id=new_id(),
        config=samples.resolved_config(**config),
        base_model_path="/nonexistent/model",
        base_model_revision="ab" * 32,
        snapshot_merkle_root="0x" + samples.ROOT.hex(),
        snapshot_record_count=300,
        first_attempt=attempt,
    )


@pytest.fixture
def refused_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def settings(tmp_path: Path, redis_url: str, datanet_port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "redis_url": redis_url,
        "datanet_addr": f"127.0.0.1:{datanet_port}",
        "work_dir": tmp_path / "work",
        "object_store_url": str(tmp_path / "objects"),
        "checkpoint_dir": str(tmp_path / "ray"),
        "log_json": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def until_dead(launcher: LocalLauncher, handle: str) -> None:
    for _ in range(1200):
        if not await launcher.alive(handle):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle} still alive after 120 s")


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


@pytest.mark.slow
async def test_a_driver_that_fails_reports_it_and_is_reaped(
    tmp_path: Path, redis_server: RedisProcess, refused_port: int
) -> None:
    launcher = LocalLauncher(settings(tmp_path, redis_server.url, refused_port))
    run = spec(attempt=2)
    handle = await launcher.launch(run)
    kind, pid, job_id, attempt = handle.split(":")
    assert (kind, job_id, attempt) == ("local", run.job_id, "2")
    await until_dead(launcher, handle)
    assert not Path(f"/proc/{pid}").exists()  # reaped, not a zombie
    channel = AsyncRunChannel(redis_server.url)
    messages = await channel.read(run.job_id, "0", block_ms=100)
    await channel.close()
    outcomes = [event for _, event in messages if isinstance(event, RunFailed)]
    assert [o.reason for o in outcomes] == ["SNAPSHOT_UNAVAILABLE"], messages
    log = tmp_path / "work" / run.job_id / "driver-2.log"
    assert log.stat().st_size > 0
    await launcher.stop(handle)  # stopping an ended run is a no-op


async def test_stop_ends_the_drivers_process_group_also_after_a_restart(
    tmp_path: Path, redis_server: RedisProcess, silent_port: int
) -> None:
    values = settings(tmp_path, redis_server.url, silent_port)
    first = LocalLauncher(values)
    run = spec()
    handle = await first.launch(run)
    pid = int(handle.split(":")[1])
    assert await first.alive(handle)
    # The child shows the driver's command line only once it has exec'd.
    cmdline = Path(f"/proc/{pid}/cmdline")
    for _ in range(200):
        if b"openledger_modelfactory.driver" in cmdline.read_bytes():
            break
        await asyncio.sleep(0.05)
    # A launcher of a restarted service recognises the driver through /proc...
    restarted = LocalLauncher(values, stop_grace_seconds=30.0)
    assert await restarted.alive(handle)
    # ...and never takes another process, or another job's driver, for it.
    assert not await restarted.alive(f"local:{pid}:{new_id()}:1")
    assert not await restarted.alive(f"local:{os.getpid()}:{run.job_id}:1")
    await restarted.stop(handle)
    assert not await restarted.alive(handle)
    await until_dead(first, handle)
    assert group_members(pid) == []
    await restarted.stop(handle)


async def test_handles_are_checked(tmp_path: Path) -> None:
    launcher = LocalLauncher(Settings(work_dir=tmp_path))
    for bad in ("local:x:job:1", "kuberay:ns:name", "local:12:job", ""):
        with pytest.raises(InvalidArgument):
            await launcher.alive(bad)


def test_driver_env_carries_the_settings(tmp_path: Path) -> None:
    values = Settings(
        work_dir=tmp_path,
        service_token="s3cret",
        ray_address="127.0.0.1:6379",
        admin_addresses=[samples.OWNER],
        chain_required=False,
    )
    env = LocalLauncher(values).env()
    assert env["RAY_ADDRESS"] == "127.0.0.1:6379"
    assert env["OL_MODELFACTORY_SERVICE_TOKEN"] == "s3cret"
    assert env["OL_MODELFACTORY_WORK_DIR"] == str(tmp_path)
    assert json.loads(env["OL_MODELFACTORY_ADMIN_ADDRESSES"]) == values.admin_addresses
    assert env["OL_MODELFACTORY_CHAIN_REQUIRED"] == "false"
    # The variables rebuild the same settings, as the driver reads them.
    rebuilt = {k: v for k, v in env.items() if k.startswith("OL_MODELFACTORY_")}
    with _environ(rebuilt):
        again = Settings()
    assert again.model_dump() == values.model_dump()
    assert "OL_MODELFACTORY_SERVICE_TOKEN" not in settings_env(values, secrets=False)


class _environ:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for key, value in self._values.items():
            self._saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *exc: object) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def kuberay_settings(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(
        launcher="kuberay",
        kuberay_image="registry.local/openledger/modelfactory:1",
        kuberay_namespace="training",
        worker_memory_bytes=8 * 2**30,
        service_token="s3cret",
        work_dir=tmp_path,
    )


def test_rayjob_manifest(kuberay_settings: Settings) -> None:
    run = spec(attempt=3, num_workers=2, cpus_per_worker=4, gpus_per_worker=1)
    manifest = rayjob_manifest(run, kuberay_settings)
    assert manifest["apiVersion"] == "ray.io/v1" and manifest["kind"] == "RayJob"
    metadata = manifest["metadata"]
    assert metadata["name"] == f"mf-{run.job_id}-3"
    assert len(metadata["name"]) <= 63
    assert metadata["namespace"] == "training"
    assert metadata["labels"]["openledger.dev/job"] == run.job_id
    body = manifest["spec"]
    assert body["shutdownAfterJobFinishes"] is True
    argv = shlex.split(body["entrypoint"])
    assert argv[:4] == ["python", "-m", DRIVER_MODULE, "--spec-json"]
    assert RunSpec.from_json(argv[4]) == run
    cluster = body["rayClusterSpec"]
    head = cluster["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"
    (head_container,) = head["template"]["spec"]["containers"]
    assert head_container["image"] == "registry.local/openledger/modelfactory:1"
    (workers,) = cluster["workerGroupSpecs"]
    assert workers["replicas"] == workers["minReplicas"] == workers["maxReplicas"] == 2
    (container,) = workers["template"]["spec"]["containers"]
    limits = container["resources"]["limits"]
    assert limits == {"cpu": "4", "nvidia.com/gpu": "1", "memory": str(8 * 2**30)}
    assert container["resources"]["requests"] == limits
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["OL_MODELFACTORY_KUBERAY_NAMESPACE"] == "training"
    assert "OL_MODELFACTORY_SERVICE_TOKEN" not in env  # secrets come from the cluster's secrets
    json.dumps(manifest)  # plain JSON, as the API server takes it


def test_rayjob_without_gpus_requests_none(kuberay_settings: Settings) -> None:
    manifest = rayjob_manifest(spec(gpus_per_worker=0, num_workers=1), kuberay_settings)
    (workers,) = manifest["spec"]["rayClusterSpec"]["workerGroupSpecs"]
    limits = workers["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert "nvidia.com/gpu" not in limits and workers["replicas"] == 1


async def test_make_launcher(kuberay_settings: Settings, tmp_path: Path) -> None:
    assert isinstance(make_launcher(Settings(work_dir=tmp_path)), LocalLauncher)
    kuberay = make_launcher(kuberay_settings)
    assert isinstance(kuberay, KubeRayLauncher)
    with pytest.raises(FailedPrecondition) as no_image:
        make_launcher(Settings(launcher="kuberay", kuberay_image=""))
    assert no_image.value.reason == "KUBERAY_IMAGE_MISSING"
    try:
        import kubernetes  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        with pytest.raises(FailedPrecondition) as missing:
            await kuberay.launch(spec())
        assert missing.value.reason == "KUBERNETES_CLIENT_MISSING"
