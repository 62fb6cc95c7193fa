"""``python -m openledger_datanet [--role api|worker|all]``: the datanet service.

``all`` (the default) runs the gRPC API and the curation worker in one process; in a cluster
the API and the workers scale separately (``--role api`` and ``--role worker``). The role can
also come from ``OL_DATANET_ROLE``; the flag wins.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from openledger_datanet.config import Settings
from openledger_datanet.server import create_datanet_server
from openledger_kit.logging import configure_logging
from openledger_kit.server import configure_tracing


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m openledger_datanet", description=__doc__)
    parser.add_argument(
        "--role",
        choices=("api", "worker", "all"),
        default=None,
        help="what this process runs (default: $OL_DATANET_ROLE, else all)",
    )
    return parser.parse_args(argv)


async def serve(settings: Settings) -> None:
    server = await create_datanet_server(settings)
    await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings() if args.role is None else Settings(role=args.role)
    configure_logging(settings)
    configure_tracing(settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
