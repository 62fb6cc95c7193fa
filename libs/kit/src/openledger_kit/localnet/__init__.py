"""Local infrastructure processes (Redis, anvil) and the supervisor behind ``make up``.

``build_plan(LocalnetContext(RunDir.resolve()))`` gives the process specs (the infrastructure
plus every ``openledger.localnet`` entry point); ``Supervisor(specs, run_dir).run()`` starts them
in dependency order, writes ``.run/endpoints.json`` and ``.run/env`` once all are ready and stops
them all on Ctrl-C, SIGTERM or the exit of any one.
"""

from openledger_kit.localnet.checks import (
    EthChainId,
    GrpcHealth,
    Probe,
    ReadinessCheck,
    RedisPing,
    TcpOpen,
)
from openledger_kit.localnet.components import COMPONENTS_GROUP, INFRASTRUCTURE, build_plan
from openledger_kit.localnet.demo import DEMO_GROUP, DemoContext, DemoStep
from openledger_kit.localnet.endpoints import Endpoints, ProcessRecord
from openledger_kit.localnet.errors import (
    AlreadyRunning,
    InvalidPlan,
    NotRunning,
    ProcessExited,
    StartupFailed,
    StopFailed,
)
from openledger_kit.localnet.rundir import RunDir
from openledger_kit.localnet.spec import Component, LocalnetContext, ProcessSpec
from openledger_kit.localnet.supervisor import Supervisor

__all__ = [
    "COMPONENTS_GROUP",
    "DEMO_GROUP",
    "INFRASTRUCTURE",
    "AlreadyRunning",
    "Component",
    "DemoContext",
    "DemoStep",
    "Endpoints",
    "EthChainId",
    "GrpcHealth",
    "InvalidPlan",
    "LocalnetContext",
    "NotRunning",
    "Probe",
    "ProcessExited",
    "ProcessRecord",
    "ProcessSpec",
    "ReadinessCheck",
    "RedisPing",
    "RunDir",
    "StartupFailed",
    "StopFailed",
    "Supervisor",
    "TcpOpen",
    "build_plan",
]
