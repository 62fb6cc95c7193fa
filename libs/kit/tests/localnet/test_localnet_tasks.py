"""One-shot tasks (``ProcessSpec(oneshot=True)``) in the supervisor, as real processes."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from textwrap import dedent

import pytest

from openledger_kit.localnet import (
    INFRASTRUCTURE,
    Component,
    Endpoints,
    LocalnetContext,
    ProcessSpec,
    RunDir,
    StartupFailed,
    Supervisor,
    TcpOpen,
    build_plan,
)

LiveInGroups = Callable[[Iterable[int]], list[str]]


def supervisor(run_dir: RunDir, *components: Component, console: io.StringIO) -> Supervisor:
    plan = build_plan(LocalnetContext(run_dir), list(components))
    return Supervisor(plan, run_dir, console=console)


@pytest.fixture
def interrupt_later() -> Iterator[Callable[[], None]]:
    """Call it to send this process SIGINT a second later, as a Ctrl-C would: the supervisor
    has to be still running then to answer it."""
    timers: list[threading.Timer] = []

    def arm() -> None:
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
        timers.append(timer)
        timer.start()

    yield arm
    for timer in timers:
        timer.cancel()


def test_a_task_completes_before_its_dependents_start_and_its_exit_stops_nothing(
    run_dir: RunDir,
    tmp_path: Path,
    live_in_groups: LiveInGroups,
    interrupt_later: Callable[[], None],
) -> None:
    manifest = tmp_path / "deployment.json"
    deploy_script = tmp_path / "deploy.py"
    deploy_script.write_text(
        dedent("""
        import json, os, sys, time
        time.sleep(1)  # a dependent started early would find no manifest
        with open(sys.argv[1], "w") as out:
            json.dump({"l1": os.environ["OL_L1_RPC_URL"], "l2": os.environ["OL_L2_RPC_URL"]}, out)
        with open(os.environ["OL_TASK_EXPORTS"], "w") as out:
            out.write("# what later processes need\\n\\nOL_TEST_MANIFEST=" + sys.argv[1] + "\\n")
        print("deployed", flush=True)
        """)
    )
    service_script = tmp_path / "service.py"
    service_script.write_text(
        dedent("""
        import json, os, socket, sys, time
        manifest = json.load(open(os.environ["OL_TEST_MANIFEST"]))
        print("manifest l1", manifest["l1"], flush=True)
        server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
        time.sleep(600)
        """)
    )

    def deploy(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(
            name="deploy",
            command=[sys.executable, str(deploy_script), str(manifest)],
            depends_on=["l1", "l2"],
            exports={"OL_TEST_DEPLOYER": "deploy"},
            oneshot=True,
        )

    def service(ctx: LocalnetContext) -> ProcessSpec:
        port = ctx.port("service")
        return ProcessSpec(
            name="service",
            command=[sys.executable, str(service_script), str(port)],
            ready=TcpOpen(port=port),
            depends_on=["deploy"],
        )

    console = io.StringIO()
    sup = supervisor(run_dir, *INFRASTRUCTURE, service, deploy, console=console)
    seen: dict[str, object] = {}

    def on_ready(endpoints: Endpoints) -> None:
        seen.update(
            endpoints=endpoints,
            env_file=run_dir.env_file.read_text(),
            service_alive=live_in_groups([sup.pids["service"]]),
        )
        interrupt_later()

    sup.run(on_ready)

    endpoints = seen["endpoints"]
    assert isinstance(endpoints, Endpoints)
    assert [p.name for p in endpoints.processes] == ["redis", "l1", "l2", "deploy", "service"]
    task = endpoints.process("deploy")
    assert task.oneshot and task.returncode == 0
    assert task.exports == {"OL_TEST_DEPLOYER": "deploy", "OL_TEST_MANIFEST": str(manifest)}
    assert endpoints.env["OL_TEST_MANIFEST"] == str(manifest)
    assert f"export OL_TEST_MANIFEST={manifest}" in str(seen["env_file"])
    assert not endpoints.process("service").oneshot
    assert endpoints.process("service").returncode is None
    output = console.getvalue()
    assert "deploy completed (exit 0)" in output
    assert "deployed" in run_dir.log_file("deploy").read_text()
    # The service read the manifest the task wrote, at the path the task exported.
    assert f"service | manifest l1 {endpoints.env['OL_L1_RPC_URL']}" in output
    assert seen["service_alive"] != []
    # The platform kept running after the task exited, until the Ctrl-C.
    assert "SIGINT received" in output
    assert live_in_groups(sup.pids.values()) == []
    assert not run_dir.endpoints_file.exists()


def test_a_failing_task_fails_startup_naming_it_and_stops_what_started(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    def deploy(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(
            name="deploy",
            command=["sh", "-c", "echo deploying; echo 'revert: no code at L1 bridge' >&2; exit 3"],
            depends_on=["l1", "l2"],
            oneshot=True,
        )

    def service(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="service", command=["sleep", "600"], depends_on=["deploy"])

    console = io.StringIO()
    sup = supervisor(run_dir, *INFRASTRUCTURE, deploy, service, console=console)
    with pytest.raises(StartupFailed) as caught:
        sup.run()

    assert caught.value.process == "deploy"
    assert "deploy: task failed: exited with code 3" in caught.value.message
    assert str(run_dir.log_file("deploy")) in caught.value.message
    assert "revert: no code at L1 bridge" in console.getvalue()  # the log's tail
    assert {"redis", "l1", "l2", "deploy"} <= set(sup.pids) and "service" not in sup.pids
    assert live_in_groups(sup.pids.values()) == []
    assert not run_dir.endpoints_file.exists()


def test_a_task_that_runs_past_its_timeout_fails_startup_and_is_stopped(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    def stuck(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="stuck", command=["sleep", "600"], oneshot=True, ready_timeout=1)

    sup = supervisor(run_dir, stuck, console=io.StringIO())
    with pytest.raises(StartupFailed, match="stuck: task not completed within 1s"):
        sup.run()
    assert live_in_groups(sup.pids.values()) == []


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ("OL_TEST_OK=1\nnot a pair\n", "line 2: expected KEY=VALUE, got 'not a pair'"),
        ("OL_RUN_DIR=/elsewhere\n", "OL_RUN_DIR is already exported"),
    ],
)
def test_a_task_exporting_a_bad_line_fails_startup_naming_it(
    run_dir: RunDir, tmp_path: Path, lines: str, words: str
) -> None:
    exports = tmp_path / "exports.txt"
    exports.write_text(lines)

    def task(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(
            name="task",
            command=["sh", "-c", f'cat {exports} > "$OL_TASK_EXPORTS"'],
            oneshot=True,
        )

    def after(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="after", command=["sleep", "600"], depends_on=["task"])

    sup = supervisor(run_dir, task, after, console=io.StringIO())
    with pytest.raises(StartupFailed) as caught:
        sup.run()
    assert caught.value.process == "task" and words in caught.value.message
    assert "after" not in sup.pids


def test_a_plan_of_tasks_only_runs_until_stopped(
    run_dir: RunDir, interrupt_later: Callable[[], None]
) -> None:
    def task(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="task", command=["true"], oneshot=True)

    console = io.StringIO()
    sup = supervisor(run_dir, task, console=console)
    published: list[bool] = []

    def on_ready(endpoints: Endpoints) -> None:
        published.append(endpoints.process("task").returncode == 0)
        interrupt_later()

    sup.run(on_ready)
    assert published == [True]
    assert "SIGINT received" in console.getvalue()
