"""The training driver: one process per run attempt of a job,
``python -m openledger_modelfactory.driver --spec-json '<RunSpec JSON>'``.

It reads the snapshot from the datanet service, checks it is the one the job was created on,
prepares the examples, puts them in the object store for the workers, and fits a Ray Train
``TorchTrainer`` (a local Ray unless ``OL_MODELFACTORY_RAY_ADDRESS`` or ``RAY_ADDRESS`` names
a cluster). Everything it has to say goes to the job's run channel; it ends with exactly one
``RunFinished`` or ``RunFailed`` there and exit code 0. A non-zero exit code means it could not
say how the run ended (killed, or the run channel unreachable): the job runner decides then.
SIGTERM stops the Ray work and exits promptly with 143, leaving the outcome to whoever sent it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import cast
from urllib.parse import urlsplit

from openledger_kit.errors import OpenLedgerError, Unavailable
from openledger_kit.store import open_store
from openledger_modelfactory.adapters.datanet import DatanetSnapshots
from openledger_modelfactory.adapters.run_channel import RunChannel
from openledger_modelfactory.config import Settings
from openledger_modelfactory.domain.ports import SnapshotRecordData
from openledger_modelfactory.training import events
from openledger_modelfactory.training.data import PreparedData, prepare, total_steps
from openledger_modelfactory.training.events import DataPrepared, RunError, RunFailed, RunFinished
from openledger_modelfactory.training.loop import LoopConfig
from openledger_modelfactory.training.spec import RunSpec
from openledger_modelfactory.training.trainer import run_on_ray, worker_env

log = logging.getLogger("openledger_modelfactory.driver")

TERMINATED_EXIT_CODE = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so that no ``except Exception`` swallows it."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def absolute(url: str) -> str:
    """A local path made absolute (Ray workers do not share the driver's working directory);
    a URL with a scheme as it is."""
    if len(urlsplit(url).scheme) > 1:
        return url
    return str(Path(url).expanduser().resolve())


STREAM_BUFFER = 1000
"""Records read ahead of the tokenizer (one ExportSnapshot message holds up to 1000)."""


def stream_snapshot(spec: RunSpec, settings: Settings) -> Iterator[SnapshotRecordData]:
    """The snapshot's records in order, as they arrive: only the tokenized examples are kept,
    never the whole snapshot. The gRPC stream runs on its own event loop in a thread, a bounded
    queue ahead of the consumer. Returns once the snapshot is checked (raising its
    ``RunError`` here, before anything else is loaded); later errors are raised where the
    iteration is."""
    items: queue.Queue[object] = queue.Queue(STREAM_BUFFER)

    def produce() -> None:
        try:
            asyncio.run(read_snapshot(spec, settings, items.put, lambda: items.put(_CHECKED)))
            items.put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            items.put(exc)

    def records() -> Iterator[SnapshotRecordData]:
        while (item := items.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield cast(SnapshotRecordData, item)

    threading.Thread(target=produce, name="snapshot-stream", daemon=True).start()
    first = items.get()
    if isinstance(first, BaseException):
        raise first
    return records()


_CHECKED = object()
_END = object()


async def read_snapshot(
    spec: RunSpec,
    settings: Settings,
    emit: Callable[[SnapshotRecordData], None],
    checked: Callable[[], None],
) -> None:
    """Check that the snapshot is the SUCCEEDED one with the Merkle root the job was created on
    (then call ``checked``), pass its records to ``emit``, and check that every record came
    (else ``SNAPSHOT_UNAVAILABLE``)."""
    name = spec.config.snapshot
    token = settings.service_token.get_secret_value() if settings.service_token else None
    snapshots = DatanetSnapshots(
        settings.datanet_addr, tls=settings.datanet_tls, service_token=token
    )
    try:
        info = await snapshots.get(name)
        if info is None:
            raise RunError(events.SNAPSHOT_UNAVAILABLE, f"{name} does not exist")
        if info.state != "SUCCEEDED":
            raise RunError(events.SNAPSHOT_UNAVAILABLE, f"{name} is {info.state}")
        root = "0x" + info.merkle_root.hex()
        if root != spec.snapshot_merkle_root.lower():
            raise RunError(
                events.SNAPSHOT_UNAVAILABLE,
                f"{name} has Merkle root {root}, the job was created on "
                f"{spec.snapshot_merkle_root}",
            )
        checked()
        count = 0
        async for record in snapshots.records(name):
            emit(record)
            count += 1
        if count != info.record_count:
            raise RunError(
                events.SNAPSHOT_UNAVAILABLE,
                f"{name} streamed {count} of {info.record_count} records",
                retryable=True,
            )
    except OpenLedgerError as err:
        raise RunError(
            events.SNAPSHOT_UNAVAILABLE,
            f"reading {name} failed: {err}",
            retryable=isinstance(err, Unavailable),
        ) from err
    finally:
        await snapshots.close()


def prepare_data(
    spec: RunSpec, settings: Settings, records: Iterable[SnapshotRecordData]
) -> tuple[PreparedData, str]:
    """Prepare the examples and store them; returns them and their object-store digest."""
    from openledger_ml.models.loading import load_tokenizer

    try:
        tokenizer = load_tokenizer(spec.base_model_path)
    except (OSError, ValueError) as exc:
        raise RunError(
            events.BASE_MODEL_UNAVAILABLE, f"{spec.base_model_path}: {exc}", retryable=True
        ) from exc
    data = prepare(records, spec.config, tokenizer)
    try:
        work_dir = settings.work_dir.expanduser().resolve() / spec.job_id
        work_dir.mkdir(parents=True, exist_ok=True)
        path = work_dir / "data.safetensors"
        data.save(path)
        digest = open_store(absolute(settings.object_store_url)).put_file(path)
    except OSError as exc:
        raise RunError(
            events.STORAGE_ERROR, f"storing the prepared data failed: {exc}", retryable=True
        ) from exc
    return data, str(digest)


def run(spec: RunSpec, settings: Settings, channel: RunChannel) -> RunFinished | RunFailed:
    """Prepare, train on Ray, and return the outcome; ``RunError`` for a known failure."""
    import ray

    records = stream_snapshot(spec, settings)
    data, digest = prepare_data(spec, settings, records)
    config = spec.config
    channel.publish(
        spec.job_id,
        DataPrepared(
            train_examples=data.train_examples,
            eval_examples=data.eval_examples,
            skipped_examples=data.skipped_examples,
            truncated_examples=data.truncated_examples,
            total_steps=total_steps(
                data.train_examples,
                batch_size=config.batch_size,
                gradient_accumulation_steps=config.gradient_accumulation_steps,
                num_workers=config.num_workers,
                epochs=config.epochs,
                max_steps=config.max_steps,
            ),
        ),
    )
    env = worker_env()
    ray.init(
        address=settings.ray_address,
        runtime_env={"env_vars": env} if env else None,
        include_dashboard=False,
        log_to_driver=True,
    )
    try:
        return run_on_ray(
            spec,
            LoopConfig(
                spec_json=spec.to_json(),
                data_digest=digest,
                object_store_url=absolute(settings.object_store_url),
                redis_url=settings.redis_url,
                storage_path=absolute(settings.checkpoint_dir),
                progress_interval_seconds=settings.progress_interval_seconds,
            ),
        )
    finally:
        ray.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openledger_modelfactory.driver", description=__doc__
    )
    parser.add_argument("--spec-json", required=True, help="the RunSpec as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    spec = RunSpec.from_json(args.spec_json)
    settings = Settings()
    channel = RunChannel(settings.redis_url)
    signal.signal(signal.SIGTERM, _on_sigterm)
    outcome: RunFinished | RunFailed
    try:
        outcome = run(spec, settings, channel)
    except Terminated:
        log.warning("job %s: terminated", spec.job_id)
        return TERMINATED_EXIT_CODE
    except RunError as err:
        outcome = err.to_event()
    except Exception as exc:
        log.exception("job %s: the run failed", spec.job_id)
        outcome = RunFailed(reason=events.INTERNAL, message=f"{type(exc).__name__}: {exc}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    channel.publish(spec.job_id, outcome)
    channel.close()
    log.info("job %s: %s", spec.job_id, outcome.kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
