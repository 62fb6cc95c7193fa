"""What other packages register through entry points: CLI sub-apps (``openledger.cli``),
platform components (``openledger.localnet``) and demo steps (``openledger.demo``)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openledger_kit.cli import create_app
from openledger_kit.localnet import DemoContext, DemoStep, Endpoints, LocalnetContext, RunDir
from openledger_kit.localnet.components import build_plan
from openledger_kit.localnet.demo import (
    INFRASTRUCTURE_STEP,
    demo_steps,
    run_steps,
    services_not_in_demo,
)

runner = CliRunner()

InstallPlugin = Callable[[str, str, dict[str, dict[str, str]]], None]


def test_a_registered_typer_app_becomes_a_sub_command(install_plugin: InstallPlugin) -> None:
    install_plugin(
        "olplug_cli_hello",
        """
        import typer
        app = typer.Typer(help="Say hello.")

        @app.command()
        def greet(name: str) -> None:
            typer.echo(f"hello {name}")
        """,
        {"openledger.cli": {"hello": "olplug_cli_hello:app"}},
    )
    app = create_app()
    assert runner.invoke(app, ["hello", "greet", "World"]).stdout == "hello World\n"
    assert "Say hello." in runner.invoke(app, ["--help"]).stdout


def test_broken_or_clashing_cli_plugins_are_reported_and_left_out(
    install_plugin: InstallPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin(
        "olplug_cli_bad",
        "import typer\nnot_an_app = 42\nup = typer.Typer()\n",
        {
            "openledger.cli": {
                "missing": "olplug_cli_no_such_module:app",
                "number": "olplug_cli_bad:not_an_app",
                "up": "olplug_cli_bad:up",
            }
        },
    )
    app = create_app()
    warnings = capsys.readouterr().err.splitlines()
    result = runner.invoke(app, ["version"])

    assert result.exit_code == 0 and result.stdout.startswith("openledger ")
    assert len(warnings) == 3
    assert "'missing' of openledger.cli (olplug_cli_no_such_module:app) failed" in warnings[0]
    assert "'number' (olplug_cli_bad:not_an_app) is not a typer.Typer" in warnings[1]
    assert "'up' is built in" in warnings[2]


def test_a_registered_component_joins_the_plan(
    install_plugin: InstallPlugin, tmp_path: Path
) -> None:
    install_plugin(
        "olplug_localnet_svc",
        """
        from openledger_kit.localnet import GrpcHealth, LocalnetContext, ProcessSpec

        def component(ctx: LocalnetContext) -> ProcessSpec:
            port = ctx.port("svc")
            return ProcessSpec(
                name="svc",
                command=["svc", "--port", str(port)],
                ready=GrpcHealth(port=port),
                depends_on=["redis", "l2"],
                exports={"OL_SVC_ADDR": f"127.0.0.1:{port}"},
            )
        """,
        {"openledger.localnet": {"svc": "olplug_localnet_svc:component"}},
    )
    ctx = LocalnetContext(RunDir(tmp_path / "run"))
    plan = build_plan(ctx)
    names = [spec.name for spec in plan]
    platform = ["redis", "l1", "l2", "contracts"]
    assert [n for n in names if n in platform] == platform
    assert names.index("svc") > names.index("l2")  # after what it depends on
    svc = next(spec for spec in plan if spec.name == "svc")
    assert svc.exports == {"OL_SVC_ADDR": f"127.0.0.1:{ctx.port('svc')}"}


def test_registered_demo_steps_run_in_order_after_the_infrastructure(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin(
        "olplug_demo_steps",
        """
        from openledger_kit.localnet import DemoStep

        def _late(ctx):
            ctx.say("late ran after " + ctx.shared["early"])

        def _early(ctx):
            ctx.shared["early"] = "early"
            ctx.say("early ran")

        LATE = DemoStep(name="late", title="Late", run=_late, order=20, services=("datanet",))
        EARLY = DemoStep(name="early", title="Early", run=_early, order=10)
        """,
        {"openledger.demo": {"a": "olplug_demo_steps:LATE", "b": "olplug_demo_steps:EARLY"}},
    )
    # Steps other installed packages register (the contracts' own) are left out here.
    steps = [step for step in demo_steps() if step.name in ("infrastructure", "early", "late")]
    assert [step.name for step in steps] == ["infrastructure", "early", "late"]
    assert "datanet" not in services_not_in_demo(steps)

    out = io.StringIO()
    outcomes = run_steps(steps[1:], DemoContext(endpoints=_no_endpoints(), out=out))
    assert [outcome.ok for outcome in outcomes] == [True, True]
    assert "[1/2] early: Early\n  early ran\n" in out.getvalue()
    assert "[2/2] late: Late\n  late ran after early\n" in out.getvalue()


def test_a_failing_step_is_reported_and_stops_the_demo() -> None:
    def fail(ctx: DemoContext) -> None:
        raise RuntimeError("datanet unreachable")

    def never(ctx: DemoContext) -> None:
        raise AssertionError("must not run after a failure")

    steps = [
        DemoStep(name="broken", title="Broken", run=fail),
        DemoStep(name="after", title="After", run=never),
    ]
    out = io.StringIO()
    outcomes = run_steps(steps, DemoContext(endpoints=_no_endpoints(), out=out))
    assert len(outcomes) == 1 and not outcomes[0].ok
    assert "FAILED: RuntimeError: datanet unreachable" in out.getvalue()
    assert services_not_in_demo([INFRASTRUCTURE_STEP]) == [
        "sequencer",
        "da",
        "datanet",
        "modelfactory",
        "inference",
        "attribution",
    ]


def _no_endpoints() -> Endpoints:
    return Endpoints(
        run_dir=Path("/nonexistent"),
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC),
        env={},
        processes=[],
    )
