"""``python -m openledger_inference node|router``: an inference node or the pool router.

A node (``OL_INFERENCE_*``) serves one base model with many LoRA adapters and, with
``OL_INFERENCE_ROUTER_ADDR`` set, joins the pool; the router (``OL_INFERENCE_ROUTER_*``) admits
staked providers' nodes and routes clients' requests to them, over gRPC and an
OpenAI-compatible HTTP API.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from openledger_inference.config import NodeSettings, RouterSettings
from openledger_kit.config import ServiceSettings
from openledger_kit.logging import configure_logging
from openledger_kit.server import configure_tracing


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m openledger_inference", description=__doc__)
    parser.add_argument(
        "role",
        choices=("node", "router"),
        help="node: serve generations; router: the pool's membership and routing",
    )
    return parser.parse_args(argv)


async def serve_node(settings: NodeSettings) -> None:
    from openledger_inference.node_server import create_node_server

    server = await create_node_server(settings)
    await server.serve_forever()


async def serve_router(settings: RouterSettings) -> None:
    from openledger_inference.router.server import create_router_server

    server = await create_router_server(settings)
    await server.serve_forever()


def _configure(settings: ServiceSettings) -> None:
    configure_logging(settings)
    configure_tracing(settings)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # Each role imports only its own stack: a router never loads torch.
    if args.role == "node":
        node = NodeSettings()
        _configure(node)
        asyncio.run(serve_node(node))
    else:
        router = RouterSettings()
        _configure(router)
        asyncio.run(serve_router(router))


if __name__ == "__main__":
    main()
