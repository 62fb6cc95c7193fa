"""ModelFactory's own Prometheus metrics (``openledger_modelfactory_*``), registered beside the
gRPC server's in the same registry. Labels are bounded enums (job states), never job or adapter
ids.

Jobs by state are counted in the database when scraped, so every replica reports the same
figures; the duration histogram and the throughput gauge follow the job updates this process
records (``MeteredEvents``), i.e. they live in the process that runs the jobs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge, Histogram

from openledger_modelfactory.domain.model import Adapter, JobState, JobUpdate, TrainingJob
from openledger_modelfactory.domain.ports import Events

PREFIX = "openledger_modelfactory"

CountJobs = Callable[[JobState], int]
"""How many jobs are in a state now (a database count)."""


class ModelFactoryMetrics:
    """Jobs by state, how long finished jobs took, and the training throughput now."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Gauge(
            f"{PREFIX}_jobs",
            "Training jobs by state (counted in the database at scrape time).",
            ["state"],
            registry=registry,
        )
        self.job_seconds = Histogram(
            f"{PREFIX}_job_duration_seconds",
            "Time from a job's start to its terminal state, by terminal state.",
            ["state"],
            buckets=(10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400),
            registry=registry,
        )
        self.tokens_per_second = Gauge(
            f"{PREFIX}_training_tokens_per_second",
            "Training throughput summed over the jobs this process runs (tokens per second).",
            registry=registry,
        )
        self._throughput: dict[str, float] = {}

    def count_jobs_with(self, count: CountJobs) -> None:
        """Count jobs by state with ``count`` whenever the registry is scraped."""
        for state in JobState:
            self.jobs.labels(state.value).set_function(functools.partial(count, state))

    def observe(self, job: TrainingJob, update: JobUpdate) -> None:
        """Account for one recorded update of ``job``."""
        if update.state.terminal:
            self._throughput.pop(job.id, None)
            if job.start_time is not None:
                seconds = (update.update_time - job.start_time).total_seconds()
                self.job_seconds.labels(update.state.value).observe(max(seconds, 0.0))
        elif update.state is JobState.RUNNING:
            self._throughput[job.id] = update.progress.tokens_per_second
        else:
            self._throughput.pop(job.id, None)
        self.tokens_per_second.set(sum(self._throughput.values()))


class MeteredEvents:
    """``ports.Events`` that feeds ``ModelFactoryMetrics`` and then publishes."""

    def __init__(self, events: Events, metrics: ModelFactoryMetrics) -> None:
        self._events = events
        self._metrics = metrics

    async def job_updated(self, job: TrainingJob, update: JobUpdate) -> None:
        self._metrics.observe(job, update)
        await self._events.job_updated(job, update)

    async def adapter_published(self, adapter: Adapter) -> None:
        await self._events.adapter_published(adapter)
