"""``python -m openledger_modelfactory [--role api|worker|all]``: the modelfactory service.

``all`` (the default) runs the gRPC API and the job runner in one process; in a cluster the API
scales on its own (``--role api``) beside one runner (``--role worker``) that launches the
training runs. The role can also come from ``OL_MODELFACTORY_ROLE``; the flag wins.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from openledger_kit.logging import configure_logging
from openledger_kit.server import configure_tracing
from openledger_modelfactory.config import Settings
from openledger_modelfactory.server import create_modelfactory_server


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m openledger_modelfactory", description=__doc__)
    parser.add_argument(
        "--role",
        choices=("api", "worker", "all"),
        default=None,
        help="what this process runs (default: $OL_MODELFACTORY_ROLE, else all)",
    )
    return parser.parse_args(argv)


async def serve(settings: Settings) -> None:
    server = await create_modelfactory_server(settings)
    await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings() if args.role is None else Settings(role=args.role)
    configure_logging(settings)
    configure_tracing(settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
