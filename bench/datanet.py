"""Datanet curation throughput: contributions per second from submitted to curated.

The subject is the whole curation pipeline on the synthetic corpus
(``openledger_datanet.domain.corpus``: clean records with planted exact and near duplicates,
PII, junk, other languages and injections), measured by ``pipeline_rate`` along one of two
paths:

- ``service``: the real service in this process (``create_datanet_server``, API and worker in
  one process) over a private Redis, SQLite in a temporary directory and two private anvils
  with the platform's contracts deployed. Records are signed by several contributors before
  the clock starts; the clock runs from the first ``SubmitContributions`` (batches of 500,
  over gRPC with the service token) until ``GetDatanet`` shows every contribution curated:
  gRPC, signature checks, SQLite, Redis Streams, the worker's batched curation, outcome
  transactions and events.
- ``in-process``: ``Curator.curate_batch`` + ``DatanetIndex.add`` in batches of 256 (the
  worker's batch size), with no transport or storage.

``OL_BENCH_DATANET_PATH`` picks ``service``, ``in-process`` or ``auto`` (the default: the
service when forge is installed to build the contracts, else in-process). The in-process path
always runs too and is reported beside it.

The baseline is the raw in-process cost of the pipeline's own dedupe steps on the same texts
in the same run, done the plain way with the libraries directly: sha256 of the RFC 8785 JSON,
a datasketch ``MinHash`` of the same shingles with datasketch's defaults, and a
``MinHashLSH`` query and insert at the same threshold. ``ratio`` = pipeline / baseline says
what fraction of that floor the full pipeline (quality, language, PII, adversarial checks and,
on the service path, everything around them) keeps. Near-duplicate precision and recall are
measured on the headline path against the corpus's ground truth.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import platform
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

from bench.result import BenchResult, Row
from openledger_datanet.domain.canonical import canonical_json
from openledger_datanet.domain.corpus import Corpus, CorpusRecord, Label, generate_corpus
from openledger_datanet.domain.curation import Curator, DatanetIndex, Outcome, Reason
from openledger_datanet.domain.curation.dedupe import shingles

PATH_ENV = "OL_BENCH_DATANET_PATH"
SEED = 11
IN_PROCESS_BATCH = 256  # the worker's default curation batch
SUBMIT_BATCH = 500  # records per SubmitContributions
CONTRIBUTORS = 8


@dataclass(frozen=True)
class PipelineRun:
    """One pass of the corpus through a pipeline and what it decided about near duplicates."""

    path: str
    contributions: int
    seconds: float
    near_tp: int
    near_fp: int
    near_fn: int

    @property
    def rate(self) -> float:
        return self.contributions / self.seconds

    @property
    def near_precision(self) -> float:
        flagged = self.near_tp + self.near_fp
        return self.near_tp / flagged if flagged else 1.0

    @property
    def near_recall(self) -> float:
        planted = self.near_tp + self.near_fn
        return self.near_tp / planted if planted else 1.0


def _near_counts(records: Sequence[CorpusRecord], flagged: set[str]) -> tuple[int, int, int]:
    truth = {r.contribution_id for r in records if r.label is Label.NEAR_DUPLICATE}
    return len(truth & flagged), len(flagged - truth), len(truth - flagged)


def raw_steps_rate(corpus: Corpus) -> float:
    """Contributions/s of the raw dedupe steps (see the module docstring) on the corpus."""
    policy = Corpus.policy()
    ngram, threshold = policy.effective_ngram_size, policy.near_duplicate_threshold
    items = [(r.contribution_id, r.content, str(r.content.get("text", ""))) for r in corpus.records]
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    started = time.perf_counter()
    for contribution_id, content, text in items:
        try:
            hashlib.sha256(canonical_json(content)).digest()
        except ValueError:
            pass
        minhash = MinHash(num_perm=128)
        minhash.update_batch(list(shingles(text, ngram)))
        lsh.query(minhash)
        lsh.insert(contribution_id, minhash)
    return len(items) / (time.perf_counter() - started)


def in_process_pipeline(corpus: Corpus) -> PipelineRun:
    """``Curator`` + ``DatanetIndex`` in the worker's batches, nothing around them."""
    policy = Corpus.policy()
    curator, index = Curator(policy, corpus.schema), DatanetIndex(policy)
    records = corpus.records
    flagged: set[str] = set()
    started = time.perf_counter()
    for start in range(0, len(records), IN_PROCESS_BATCH):
        batch = records[start : start + IN_PROCESS_BATCH]
        outcomes: list[Outcome] = curator.curate_batch(
            [(r.contribution_id, r.content) for r in batch], index
        )
        for record, outcome in zip(batch, outcomes, strict=True):
            index.add(record.contribution_id, outcome)
            if Reason.NEAR_DUPLICATE in outcome.reasons:
                flagged.add(record.contribution_id)
    seconds = time.perf_counter() - started
    return PipelineRun("in-process", len(records), seconds, *_near_counts(records, flagged))


def service_available() -> bool:
    """Whether the service path can run here: forge (to build the contracts) and anvil."""
    from openledger_kit.localnet.processes import repo_root

    root = repo_root(Path(__file__).parent)
    tools = root / "node_modules" / ".bin" if root else None
    return bool(tools and (tools / "forge").exists() and (tools / "anvil").exists())


def pipeline_rate(corpus: Corpus, path: str) -> PipelineRun:
    """The corpus through the named path: ``service`` or ``in-process``."""
    if path == "service":
        return asyncio.run(_service_pipeline(corpus))
    if path == "in-process":
        return in_process_pipeline(corpus)
    raise ValueError(f"unknown pipeline path {path!r}")


# --- the service path ----------------------------------------------------------------------


@asynccontextmanager
async def _running_service(work: Path) -> AsyncIterator[tuple[Any, str]]:
    """The datanet service (API + worker) over private Redis, anvils and SQLite; yields the
    server and its service token."""
    from web3 import AsyncWeb3

    from openledger_datanet.config import Settings
    from openledger_datanet.server import create_datanet_server
    from openledger_kit.chain import connect
    from openledger_kit.contracts import RoleAccounts, deploy_platform
    from openledger_kit.contracts.build import build_contracts
    from openledger_kit.contracts.testing import fresh_account
    from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID
    from openledger_kit.testing.processes import running_anvil, running_redis

    with (
        running_redis(work / "redis") as redis,
        running_anvil(work / "l1", chain_id=L1_CHAIN_ID) as anvil_l1,
        running_anvil(work / "l2", chain_id=L2_CHAIN_ID, optimism=True) as anvil_l2,
    ):
        artifacts = build_contracts()
        l1: AsyncWeb3[Any] = await connect(anvil_l1.url, expected_chain_id=L1_CHAIN_ID)
        l2: AsyncWeb3[Any] = await connect(anvil_l2.url, expected_chain_id=L2_CHAIN_ID)
        try:
            deployer, service = await fresh_account(l1, l2), await fresh_account(l1, l2)
            manifest_path = work / "deployments.json"
            await deploy_platform(
                anvil_l1.url,
                anvil_l2.url,
                deployer=deployer,
                roles=RoleAccounts(datanet_registrar=service.address, curation=service.address),
                artifacts_dir=artifacts,
                manifest_path=manifest_path,
            )
        finally:
            await l1.provider.disconnect()
            await l2.provider.disconnect()
        key_file = work / "service.key"
        key_file.write_text("0x" + bytes(service.key).hex())
        key_file.chmod(0o600)
        token = uuid.uuid4().hex
        settings = Settings(
            grpc_port=0,
            role="all",
            redis_url=redis.url,
            database_url=f"sqlite:///{work / 'datanet.db'}",
            object_store_url=str(work / "objects"),
            l2_rpc_url=anvil_l2.url,
            deployment_manifest=manifest_path,
            account_key_file=key_file,
            service_token=token,
            deployment_id="openledger-bench-datanet",
            auth_nonce_store="memory",
            embedder_enabled=False,
            log_json=False,
        )
        server = await create_datanet_server(settings)
        await server.start()
        try:
            await server.wait_ready()
            yield server, token
        finally:
            await server.stop(1.0)


async def _service_pipeline(corpus: Corpus) -> PipelineRun:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    from openledger.datanet.v1 import contribution_pb2, curation_pb2, datanet_pb2
    from openledger.datanet.v1 import datanet_service_pb2 as pb
    from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
    from openledger_datanet.api.convert import dict_to_struct, policy_to_proto
    from openledger_datanet.domain.canonical import content_hash
    from openledger_kit.client import connect

    # Records rotate over several contributors: the service answers a contributor's repeat of
    # the same content hash with the existing contribution (``already_submitted``), so exact
    # copies must come from someone else to reach curation at all.
    contributors = [Account.create() for _ in range(CONTRIBUTORS)]
    signed: list[tuple[str, contribution_pb2.ContributionRecord]] = []
    for position, record in enumerate(corpus.records):
        account = contributors[position % CONTRIBUTORS]
        digest = content_hash(record.content)
        signature = bytes(account.sign_message(encode_defunct(primitive=digest)).signature)
        signed.append(
            (
                record.contribution_id,
                contribution_pb2.ContributionRecord(
                    content=dict_to_struct(record.content),
                    contributor=account.address,
                    content_hash=digest,
                    signature=signature,
                ),
            )
        )

    async with AsyncExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ol-bench-datanet-")))
        server, token = await stack.enter_async_context(_running_service(work))
        channel = connect(f"127.0.0.1:{server.port}", token=token)
        stack.push_async_callback(channel.close)
        stub = pb_grpc.DatanetServiceStub(channel)  # type: ignore[no-untyped-call]

        datanet_id = f"bench-{uuid.uuid4().hex[:8]}"
        await stub.CreateDatanet(
            pb.CreateDatanetRequest(
                request_id=str(uuid.uuid4()),
                datanet_id=datanet_id,
                datanet=datanet_pb2.Datanet(
                    display_name="Benchmark",
                    domain="bench",
                    description="the synthetic curation corpus",
                    record_schema=dict_to_struct(corpus.schema),
                    curation_policy=policy_to_proto(Corpus.policy()),
                    stake_required="0",
                    curator=contributors[0].address,
                ),
            )
        )
        parent = f"datanets/{datanet_id}"
        while True:
            got = await stub.GetDatanet(pb.GetDatanetRequest(name=parent))
            if got.datanet.state != datanet_pb2.DATANET_STATE_REGISTERING:
                break
            await asyncio.sleep(0.05)
        if got.datanet.state != datanet_pb2.DATANET_STATE_ACTIVE:
            raise RuntimeError(f"datanet did not register: {got.datanet}")

        names: dict[str, str] = {}
        started = time.perf_counter()
        for start in range(0, len(signed), SUBMIT_BATCH):
            chunk = signed[start : start + SUBMIT_BATCH]
            response = await stub.SubmitContributions(
                pb.SubmitContributionsRequest(
                    request_id=str(uuid.uuid4()), parent=parent, records=[r for _, r in chunk]
                )
            )
            for result in response.results:
                if result.WhichOneof("result") == "contribution" and not result.already_submitted:
                    names[result.contribution] = chunk[result.index][0]
        while True:
            got = await stub.GetDatanet(pb.GetDatanetRequest(name=parent))
            curated = got.datanet.accepted_count + got.datanet.rejected_count
            if got.datanet.pending_count == 0 and curated >= len(names):
                break
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started

        flagged: set[str] = set()
        token_page = ""
        while True:
            page = await stub.ListContributions(
                pb.ListContributionsRequest(
                    parent=parent,
                    page_size=1000,
                    page_token=token_page,
                    rejection_reasons=[curation_pb2.REJECTION_REASON_NEAR_DUPLICATE],
                )
            )
            flagged.update(names[c.name] for c in page.contributions if c.name in names)
            token_page = page.next_page_token
            if not token_page:
                break
    return PipelineRun("service", len(names), seconds, *_near_counts(corpus.records, flagged))


# --- the benchmark -------------------------------------------------------------------------


def _chosen_path() -> str:
    path = os.environ.get(PATH_ENV, "auto")
    if path == "auto":
        return "service" if service_available() else "in-process"
    return path


@contextmanager
def _quiet_logs() -> Any:
    import logging

    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)
    try:
        yield
    finally:
        logging.getLogger().setLevel(previous)


def run(quick: bool) -> BenchResult:
    """Measure the pipeline against its raw steps on 2,000 contributions (``quick``) or
    10,000."""
    path = _chosen_path()
    corpus = generate_corpus(2_000 if quick else 10_000, seed=SEED)

    # One small pass first so imports, the language model and numpy are warm.
    in_process_pipeline(generate_corpus(200, seed=SEED + 1))
    baseline = raw_steps_rate(corpus)
    in_process = in_process_pipeline(corpus)
    with _quiet_logs():
        headline = pipeline_rate(corpus, path) if path != "in-process" else in_process

    rows = [Row(f"submitted -> curated ({headline.path})", headline.rate, baseline, "contrib/s")]
    if headline is not in_process:
        rows.append(Row("curation in-process", in_process.rate, baseline, "contrib/s"))
    return BenchResult(
        bench="datanet",
        value=headline.rate,
        baseline=baseline,
        unit="contributions/s",
        rows=rows,
        extra={
            "path": headline.path,
            "contributions": headline.contributions,
            "near_dup_precision": round(headline.near_precision, 4),
            "near_dup_recall": round(headline.near_recall, 4),
            "in_process_contributions_per_s": round(in_process.rate, 1),
            "in_process_near_dup_precision": round(in_process.near_precision, 4),
            "in_process_near_dup_recall": round(in_process.near_recall, 4),
            "raw_steps_contributions_per_s": round(baseline, 1),
            "seed": SEED,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
    )
