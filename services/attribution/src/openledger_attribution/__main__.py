"""``python -m openledger_attribution [--role api|worker|all]``: the attribution service.

``all`` (the default) runs the gRPC API, a worker (the completion and catalogue consumers) and
the settlement loop in one process; in a cluster the API scales on its own (``--role api``)
beside a fleet of workers (``--role worker``, each with its own ``OL_ATTRIBUTION_WORKER_NAME``)
sharing the consumer group and the database. The role can also come from
``OL_ATTRIBUTION_ROLE``; the flag wins.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from openledger_attribution.config import Settings
from openledger_attribution.server import create_attribution_server
from openledger_kit.logging import configure_logging
from openledger_kit.server import configure_tracing


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m openledger_attribution", description=__doc__)
    parser.add_argument(
        "--role",
        choices=("api", "worker", "all"),
        default=None,
        help="what this process runs (default: $OL_ATTRIBUTION_ROLE, else all)",
    )
    return parser.parse_args(argv)


async def serve(settings: Settings) -> None:
    server = await create_attribution_server(settings)
    await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings() if args.role is None else Settings(role=args.role)
    configure_logging(settings)
    configure_tracing(settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
