"""A minimal real service process for the SIGTERM test.

Run from the repository root: ``python -m libs.kit.tests.server.server_sigterm_app``. Its
``Hold`` calls finish once the file named by ``OL_KITSIGTERM_RELEASE_FILE`` exists.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from libs.kit.tests.server.server_echo import SERVICE, EchoServicer, register_echo
from openledger_kit.config import ServiceSettings, service_config
from openledger_kit.logging import configure_logging
from openledger_kit.server import configure_tracing, run, serve


class Settings(ServiceSettings):
    model_config = service_config("KITSIGTERM")

    release_file: Path


def main() -> None:
    # Every field comes from the environment (mypy sees only the constructor).
    settings = Settings()  # type: ignore[call-arg, unused-ignore]
    configure_logging(settings)
    configure_tracing(settings)

    async def released() -> None:
        while not settings.release_file.exists():
            await asyncio.sleep(0.02)

    run(serve(settings, register=register_echo(EchoServicer(released)), service_names=[SERVICE]))


if __name__ == "__main__":
    main()
