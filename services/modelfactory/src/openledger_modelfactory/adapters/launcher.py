"""Starting and stopping training runs (``ports.Launcher``).

A run is the training driver, ``python -m openledger_modelfactory.driver --spec-json ...``,
which connects to Ray and reports on the job's run channel. Two ways to start it:

- ``LocalLauncher``: a subprocess of the service in a session (process group) of its own, on
  a local Ray or the cluster at ``RAY_ADDRESS``. Its handle ``local:{pid}:{job}:{attempt}``
  stays meaningful across a service restart: a new launcher checks and stops a driver it did
  not start, after making sure through ``/proc`` that the pid is still that job's driver.
- ``KubeRayLauncher``: a KubeRay ``RayJob`` per launch, whose cluster lives as long as the run
  (``shutdownAfterJobFinishes``). Its handle is ``kuberay:{namespace}:{name}``.

Both give the driver the service's own settings as ``OL_MODELFACTORY_*`` variables, so it
reads Redis, the object store and the datanet address the way the service does.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from openledger_kit.errors import FailedPrecondition, InvalidArgument
from openledger_modelfactory.config import Settings
from openledger_modelfactory.domain.model import DOMAIN
from openledger_modelfactory.domain.ports import Launcher
from openledger_modelfactory.training.spec import RunSpec

logger = logging.getLogger(__name__)

DRIVER_MODULE = "openledger_modelfactory.driver"
ENV_PREFIX = "OL_MODELFACTORY_"


def driver_args(spec: RunSpec) -> list[str]:
    """The driver's arguments after the interpreter."""
    return ["-m", DRIVER_MODULE, "--spec-json", spec.to_json()]


def settings_env(settings: Settings, *, secrets: bool) -> dict[str, str]:
    """``settings`` as the ``OL_MODELFACTORY_*`` variables that reproduce them. Secret fields
    are included only with ``secrets`` (never in a manifest a cluster stores in the clear)."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            if not secrets:
                continue
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | dict | tuple):
            text = json.dumps(value)
        else:
            text = str(value)
        env[f"{ENV_PREFIX}{name.upper()}"] = text
    return env


def invalid_handle(handle: str) -> InvalidArgument:
    return InvalidArgument(
        "handle", f"not a run handle of this launcher: {handle!r}", domain=DOMAIN
    )


# ---------------------------------------------------------------------------------- local


class LocalLauncher:
    """Drivers as subprocesses of the service (see the module docstring)."""

    def __init__(self, settings: Settings, *, stop_grace_seconds: float = 15.0) -> None:
        self._settings = settings
        self._grace = stop_grace_seconds
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def env(self) -> dict[str, str]:
        env = {**os.environ, **settings_env(self._settings, secrets=True)}
        if self._settings.ray_address:
            env["RAY_ADDRESS"] = self._settings.ray_address
        return env

    def log_path(self, job_id: str, attempt: int) -> Path:
        return self._settings.work_dir / job_id / f"driver-{attempt}.log"

    async def launch(self, spec: RunSpec) -> str:
        log = self.log_path(spec.job_id, spec.first_attempt)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            child = subprocess.Popen(  # noqa: S603 - our interpreter, our module, no shell
                [sys.executable, *driver_args(spec)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(),
                start_new_session=True,
            )
        self._children[child.pid] = child
        logger.info(
            "job %s attempt %d: driver pid %d, log %s",
            spec.job_id,
            spec.first_attempt,
            child.pid,
            log,
        )
        return f"local:{child.pid}:{spec.job_id}:{spec.first_attempt}"

    async def alive(self, handle: str) -> bool:
        pid, job_id = _parse_local(handle)
        return self._alive(pid, job_id)

    async def stop(self, handle: str) -> None:
        """SIGTERM the driver's process group, SIGKILL it after the grace period, then kill
        whatever of the group outlived its leader."""
        pid, job_id = _parse_local(handle)
        if self._alive(pid, job_id):
            _signal_group(pid, signal.SIGTERM)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._grace
            while self._alive(pid, job_id) and loop.time() < deadline:
                await asyncio.sleep(0.1)
            if self._alive(pid, job_id):
                logger.warning("driver %d ignored SIGTERM for %.0fs: killing it", pid, self._grace)
                _signal_group(pid, signal.SIGKILL)
                while self._alive(pid, job_id):
                    await asyncio.sleep(0.05)
        # The group id cannot be reused while any member lives, so these are ours.
        for member in _group_members(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)

    def _alive(self, pid: int, job_id: str) -> bool:
        child = self._children.get(pid)
        if child is not None:
            # Our own child: poll() reaps it once it has exited.
            if child.poll() is None:
                return True
            del self._children[pid]
            return False
        return not _reaped(pid) and _is_driver(pid, job_id)


def _parse_local(handle: str) -> tuple[int, str]:
    parts = handle.split(":")
    if len(parts) != 4 or parts[0] != "local" or not parts[1].isdigit():
        raise invalid_handle(handle)
    return int(parts[1]), parts[2]


def _reaped(pid: int) -> bool:
    """Reap ``pid`` if it is an exited child of this process that no ``Popen`` here tracks
    (another launcher instance started it); True if it was."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return reaped == pid


def _is_driver(pid: int, job_id: str) -> bool:
    """Whether ``pid`` runs (not as a zombie) the driver of ``job_id``, so a recycled pid is
    never taken for it."""
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # The state follows the parenthesised command name, which may itself contain ") ".
    if stat[stat.rindex(")") + 2 :].startswith(("Z", "X")):
        return False
    args = [part.decode(errors="replace") for part in cmdline]
    if DRIVER_MODULE not in args or "--spec-json" not in args:
        return False
    raw = args[args.index("--spec-json") + 1] if args.index("--spec-json") + 1 < len(args) else ""
    try:
        return bool(json.loads(raw).get("job_id") == job_id)
    except (ValueError, AttributeError):
        return False


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the state: ppid, pgrp.
        if fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


# ---------------------------------------------------------------------------------- kuberay

RAYJOB_GROUP = "ray.io"
RAYJOB_VERSION = "v1"
RAYJOB_PLURAL = "rayjobs"
FINISHED_DEPLOYMENT_STATES = frozenset({"Complete", "Failed", "ValidationFailed", "Suspended"})
"""``status.jobDeploymentStatus`` values after which nothing of the run is left running."""


def rayjob_name(spec: RunSpec) -> str:
    """``mf-{job}-{attempt}``: a DNS-1123 label (job ids are lowercase UUIDs)."""
    return f"mf-{spec.job_id}-{spec.first_attempt}"


def _container(
    name: str, image: str, env: Mapping[str, str], resources: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "env": [{"name": key, "value": value} for key, value in sorted(env.items())],
        "resources": dict(resources),
    }


def rayjob_manifest(spec: RunSpec, settings: Settings) -> dict[str, Any]:
    """The ``RayJob`` of one launch: a head that runs the driver (and no training), and one
    worker pod per Ray Train worker with the job's CPUs, GPUs and (when configured) memory."""
    import ray

    config = spec.config
    env = settings_env(settings, secrets=False)
    worker_limits: dict[str, Any] = {"cpu": str(config.cpus_per_worker)}
    if config.gpus_per_worker > 0:
        worker_limits["nvidia.com/gpu"] = str(config.gpus_per_worker)
    if settings.worker_memory_bytes is not None:
        worker_limits["memory"] = str(settings.worker_memory_bytes)
    labels = {
        "app.kubernetes.io/name": "openledger-modelfactory",
        "app.kubernetes.io/component": "training",
        "openledger.dev/job": spec.job_id,
        "openledger.dev/attempt": str(spec.first_attempt),
    }
    return {
        "apiVersion": f"{RAYJOB_GROUP}/{RAYJOB_VERSION}",
        "kind": "RayJob",
        "metadata": {
            "name": rayjob_name(spec),
            "namespace": settings.kuberay_namespace,
            "labels": labels,
        },
        "spec": {
            "entrypoint": shlex.join(["python", *driver_args(spec)]),
            "shutdownAfterJobFinishes": True,
            "ttlSecondsAfterFinished": 600,
            # The driver retries attempts itself (and the service relaunches it).
            "backoffLimit": 0,
            "rayClusterSpec": {
                "rayVersion": ray.__version__,
                "headGroupSpec": {
                    # The head runs the driver only: Ray Train workers go to the worker pods.
                    "rayStartParams": {"dashboard-host": "0.0.0.0", "num-cpus": "0"},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                _container(
                                    "ray-head",
                                    settings.kuberay_image,
                                    env,
                                    {
                                        "requests": {"cpu": "1", "memory": "2Gi"},
                                        "limits": {"cpu": "2", "memory": "4Gi"},
                                    },
                                )
                            ]
                        },
                    },
                },
                "workerGroupSpecs": [
                    {
                        "groupName": "trainers",
                        "replicas": config.num_workers,
                        "minReplicas": config.num_workers,
                        "maxReplicas": config.num_workers,
                        "rayStartParams": {},
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {
                                "containers": [
                                    _container(
                                        "ray-worker",
                                        settings.kuberay_image,
                                        env,
                                        {"requests": worker_limits, "limits": worker_limits},
                                    )
                                ]
                            },
                        },
                    }
                ],
            },
        },
    }


class KubeRayLauncher:
    """A KubeRay ``RayJob`` per launch, through the ``kubernetes`` client (the ``kuberay``
    extra), configured in-cluster or from the local kubeconfig."""

    def __init__(self, settings: Settings) -> None:
        if not settings.kuberay_image:
            raise FailedPrecondition(
                "OL_MODELFACTORY_KUBERAY_IMAGE must name the Ray image of the RayJobs",
                reason="KUBERAY_IMAGE_MISSING",
                domain=DOMAIN,
            )
        self._settings = settings
        self._api: Any = None
        self._api_error: type[Exception] = Exception

    def _custom_objects(self) -> Any:
        if self._api is None:
            try:
                client = importlib.import_module("kubernetes.client")
                config = importlib.import_module("kubernetes.config")
            except ImportError:
                raise FailedPrecondition(
                    "the kuberay launcher needs the kubernetes client: "
                    "pip install 'openledger-modelfactory[kuberay]'",
                    reason="KUBERNETES_CLIENT_MISSING",
                    domain=DOMAIN,
                ) from None
            try:
                config.load_incluster_config()
            except config.ConfigException:
                config.load_kube_config()
            self._api = client.CustomObjectsApi()
            self._api_error = client.exceptions.ApiException
        return self._api

    async def launch(self, spec: RunSpec) -> str:
        manifest = rayjob_manifest(spec, self._settings)
        namespace = self._settings.kuberay_namespace
        api = self._custom_objects()
        await asyncio.to_thread(
            api.create_namespaced_custom_object,
            RAYJOB_GROUP,
            RAYJOB_VERSION,
            namespace,
            RAYJOB_PLURAL,
            manifest,
        )
        return f"kuberay:{namespace}:{manifest['metadata']['name']}"

    async def alive(self, handle: str) -> bool:
        namespace, name = _parse_kuberay(handle)
        api = self._custom_objects()
        try:
            rayjob = await asyncio.to_thread(
                api.get_namespaced_custom_object,
                RAYJOB_GROUP,
                RAYJOB_VERSION,
                namespace,
                RAYJOB_PLURAL,
                name,
            )
        except self._api_error as error:
            if getattr(error, "status", None) == 404:
                return False
            raise
        status = str((rayjob.get("status") or {}).get("jobDeploymentStatus") or "")
        return status not in FINISHED_DEPLOYMENT_STATES

    async def stop(self, handle: str) -> None:
        namespace, name = _parse_kuberay(handle)
        api = self._custom_objects()
        try:
            await asyncio.to_thread(
                api.delete_namespaced_custom_object,
                RAYJOB_GROUP,
                RAYJOB_VERSION,
                namespace,
                RAYJOB_PLURAL,
                name,
                propagation_policy="Foreground",
            )
        except self._api_error as error:
            if getattr(error, "status", None) != 404:
                raise


def _parse_kuberay(handle: str) -> tuple[str, str]:
    parts = handle.split(":")
    if len(parts) != 3 or parts[0] != "kuberay" or not parts[1] or not parts[2]:
        raise invalid_handle(handle)
    return parts[1], parts[2]


def make_launcher(settings: Settings) -> Launcher:
    """The launcher ``settings.launcher`` names."""
    if settings.launcher == "kuberay":
        return KubeRayLauncher(settings)
    return LocalLauncher(settings)
