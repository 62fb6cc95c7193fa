"""A consumer in a process of its own, for the crash test.

Run from the repository root: ``python -m libs.kit.tests.bus.bus_worker URL STREAM GROUP NAME``.
Each StringValue event's effect is one MULTI that adds 1 to the event's field in
``<stream>:effects`` and to ``<stream>:total`` and marks the event done
(``EventContext.mark_done``), so applying an effect twice would show. Prints ``ready`` once
consuming; on SIGTERM it drains and prints its stats as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal

from google.protobuf.wrappers_pb2 import StringValue

from openledger_kit.bus import Consumer, ConsumerOptions, EventContext, Stream, connect


async def consume(args: argparse.Namespace) -> None:
    redis = connect(args.url)
    stream = Stream(args.stream)
    consumer = Consumer(
        redis,
        stream,
        group=args.group,
        name=args.name,
        options=ConsumerOptions(
            batch_size=args.batch_size,
            concurrency=args.concurrency,
            visibility_timeout_seconds=args.visibility_timeout,
            reclaim_interval_seconds=0.2,
            block_seconds=0.5,
        ),
    )
    effects, total = f"{stream.key}:effects", f"{stream.key}:total"

    @consumer.handle(StringValue)
    async def apply(message: StringValue, ctx: EventContext) -> None:
        if args.delay_ms:
            await asyncio.sleep(args.delay_ms / 1000)
        pipe = redis.pipeline(transaction=True)
        pipe.hincrby(effects, ctx.event_id, 1)
        pipe.incr(total)
        ctx.mark_done(pipe)
        await pipe.execute()

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await consumer.start()
    print("ready", flush=True)
    await stop.wait()
    await consumer.stop()
    print(json.dumps(dataclasses.asdict(consumer.stats)), flush=True)
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "stream", "group", "name"):
        parser.add_argument(name)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--visibility-timeout", type=float, default=2.0)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(consume(parser.parse_args()))


if __name__ == "__main__":
    main()
