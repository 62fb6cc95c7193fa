"""The application service: every datanet use case, orchestrating the repository (storage),
the ``DatanetRegistry`` (chain) and the event bus.

Requests are validated here with errors that name the field; the repository is synchronous
(one transaction per call) and runs in worker threads; chain writes of datanet registration and
snapshots run as background tasks that resume after a restart (``start``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from openledger_datanet.domain import errors, validation
from openledger_datanet.domain.canonical import canonical_value, keccak_bytes
from openledger_datanet.domain.curation import Policy
from openledger_datanet.domain.errors import SubmissionErrorReason, SubmissionFailure
from openledger_datanet.domain.model import (
    DOMAIN,
    Contribution,
    ContributionStatus,
    Contributor,
    Datanet,
    DatanetState,
    JobState,
    NewContribution,
    ObjectRef,
    Page,
    Snapshot,
    Standing,
    SubmittedRecord,
    TxStatus,
    chain_datanet_id,
    new_id,
    parse_address,
    policy_to_dict,
    utcnow,
)
from openledger_datanet.domain.ports import Caller, Events, Registry
from openledger_datanet.domain.snapshot import InclusionProof as RecordProof
from openledger_datanet.domain.snapshot import SnapshotRecord
from openledger_datanet.domain.submission import CheckedRecord, RecordInput, check_record
from openledger_kit.errors import (
    Aborted,
    FailedPrecondition,
    OpenLedgerError,
    PermissionDenied,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

SnapshotWriter = Callable[[Callable[[], Iterable[SnapshotRecord]]], tuple[ObjectRef, ObjectRef]]
"""Writes a snapshot's records (read through the callable) as JSON Lines and Parquet into the
object store; returns their references."""

SUBMIT = "SubmitContributions"
CREATE = "CreateDatanet"
UPDATE = "UpdateDatanet"
SNAPSHOT = "CreateSnapshot"

UPDATABLE_PATHS = frozenset(
    {
        "display_name",
        "domain",
        "description",
        "record_schema",
        "curation_policy",
        "stake_required",
        "curator",
        "state",
    }
)


@dataclass(frozen=True)
class Limits:
    """Submission limits (from the settings)."""

    max_records_per_batch: int = 1000
    max_record_bytes: int = 256 * 1024
    max_batch_bytes: int = 16 * 1024 * 1024
    stake_cache_seconds: float = 2.0


@dataclass(frozen=True)
class DatanetSpec:
    """The fields of ``CreateDatanet``'s datanet (unvalidated)."""

    display_name: str
    domain: str
    description: str
    record_schema: Mapping[str, Any]
    policy: Policy | None
    stake_required: str
    curator: str


@dataclass(frozen=True)
class SubmissionResult:
    """One record's result: a contribution id (new or already submitted) or a failure."""

    index: int
    contribution_id: str = ""
    already_submitted: bool = False
    failure: SubmissionFailure | None = None


@dataclass(frozen=True)
class SubmitResponse:
    datanet_id: str
    results: tuple[SubmissionResult, ...]

    @property
    def queued_count(self) -> int:
        return sum(1 for r in self.results if r.failure is None)

    @property
    def failed_count(self) -> int:
        return sum(1 for r in self.results if r.failure is not None)


@dataclass(frozen=True)
class ContributorView:
    """A contributor's standing with its on-chain stake."""

    contributor: Contributor
    stake: int
    standing: Standing


@dataclass(frozen=True)
class InclusionProof:
    """A record's Merkle proof with the snapshot it belongs to."""

    snapshot: Snapshot
    proof: RecordProof


def fingerprint(*parts: object) -> bytes:
    """A stable digest of a request's meaningful content (for idempotency keys)."""
    return hashlib.sha256(repr(parts).encode()).digest()


def metadata_hash(datanet: Datanet) -> bytes:
    """What the registry records of a datanet's off-chain configuration."""
    return keccak_bytes(
        canonical_value(
            {
                "datanet": datanet.id,
                "display_name": datanet.display_name,
                "domain": datanet.domain,
                "description": datanet.description,
                "record_schema": datanet.record_schema,
                "curation_policy": policy_to_dict(datanet.policy),
                "revision": datanet.revision,
            }
        )
    )


class DatanetService:
    """The datanet use cases (see the module docstring). ``repository`` is the storage
    adapter's ``Repository``; ``registry`` and ``events`` the chain and bus adapters."""

    def __init__(
        self,
        repository: Any,
        registry: Registry,
        events: Events,
        *,
        limits: Limits | None = None,
        snapshot_writer: SnapshotWriter | None = None,
        observe_snapshot: Callable[[float, str], None] | None = None,
        observe_submission: Callable[[str, int], None] | None = None,
    ) -> None:
        self.repo = repository
        self.registry = registry
        self.events = events
        self.limits = limits or Limits()
        self._write_files = snapshot_writer
        self._observe_snapshot = observe_snapshot
        self._observe_submission = observe_submission
        self._stakes: dict[tuple[str, str], tuple[float, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._snapshot_wakeup = asyncio.Event()
        self._snapshot_runner: asyncio.Task[None] | None = None
        self._registering: set[str] = set()

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, run_snapshots: bool = True, republish_pending: bool = True) -> None:
        """Resume what a restart interrupted: registrations still REGISTERING, snapshot jobs
        QUEUED or RUNNING, and (``republish_pending``) ContributionSubmitted events of PENDING
        contributions, which a crash may have left unpublished (consumers dedupe them)."""
        token = ""
        while True:
            datanets: Page[Datanet] = await self._db(
                self.repo.list_datanets,
                states=(DatanetState.REGISTERING,),
                page_size=500,
                page_token=token,
            )
            for datanet in datanets.items:
                self._spawn(self._register(datanet))
            token = datanets.next_page_token
            if not token:
                break
        if republish_pending:
            while True:
                pending: Page[Contribution] = await self._db(
                    self.repo.list_contributions,
                    None,
                    statuses=(ContributionStatus.PENDING,),
                    page_size=1000,
                    page_token=token,
                )
                await self.events.contributions_submitted(pending.items)
                token = pending.next_page_token
                if not token:
                    break
        if run_snapshots:
            self._snapshot_runner = asyncio.create_task(self._run_snapshots())
            self._spawn(self._prune_forever())

    async def _prune_forever(self, every: float = 3600.0, keep: float = 48 * 3600.0) -> None:
        """Forget request ids and processed event ids older than ``keep`` (the proto promises
        at least 24 hours of idempotency)."""
        while True:
            try:
                await self._db(self.repo.prune, before=utcnow() - timedelta(seconds=keep))
            except Exception:
                logger.exception("pruning old request ids failed")
            await asyncio.sleep(every)

    async def stop(self) -> None:
        tasks = list(self._tasks)
        if self._snapshot_runner is not None:
            tasks.append(self._snapshot_runner)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._snapshot_runner = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ datanets

    async def create_datanet(
        self, caller: Caller, request_id: str, datanet_id: str, spec: DatanetSpec
    ) -> Datanet:
        request_id = validation.request_id(request_id)
        datanet_id = validation.datanet_id(datanet_id)
        display_name = validation.display_name(spec.display_name)
        domain = validation.domain_slug(spec.domain)
        description = validation.description(spec.description)
        schema = validation.record_schema(spec.record_schema)
        stake_required = validation.wei(spec.stake_required, "datanet.stake_required")
        if not spec.curator:
            raise errors.invalid("datanet.curator", "required: the curator's address")
        curator = parse_address(spec.curator, "datanet.curator")
        policy = spec.policy if spec.policy is not None else Policy.default()
        policy.validate("datanet.curation_policy", stake_required=stake_required)
        if not caller.privileged and not caller.is_(curator):
            raise PermissionDenied(
                f"datanet.curator {curator} must be the caller ({caller.address}); only admins "
                "and services may name another curator",
                reason=errors.NOT_CURATOR,
                domain=DOMAIN,
                metadata={"field": "datanet.curator"},
            )
        key = fingerprint(
            CREATE,
            datanet_id,
            display_name,
            domain,
            description,
            schema,
            policy_to_dict(policy),
            stake_required,
            curator,
        )
        now = utcnow()
        datanet = Datanet(
            id=datanet_id,
            display_name=display_name,
            domain=domain,
            description=description,
            record_schema=schema,
            policy=policy,
            stake_required=stake_required,
            curator=curator,
            state=DatanetState.REGISTERING,
            create_time=now,
            update_time=now,
        )
        created: Datanet = await self._db(
            self.repo.create_datanet, datanet, request_id=request_id, fingerprint=key
        )
        if created.state is DatanetState.REGISTERING:
            self._spawn(self._register(created))
        return created

    async def _set_registration(self, datanet_id: str, state: DatanetState, tx: Any) -> None:
        changes: dict[str, Any] = {"state": state}
        if tx is not None:
            changes["registration"] = tx
        await self._db(self.repo.update_datanet, datanet_id, changes)

    async def _register(self, datanet: Datanet) -> None:
        """Register on the ``DatanetRegistry`` and move the datanet to ACTIVE (or
        REGISTRATION_FAILED when the transaction reverts)."""
        if datanet.id in self._registering:
            return
        self._registering.add(datanet.id)
        try:
            delay = 0.5
            while True:
                try:
                    tx = await self.registry.create_datanet(
                        datanet.chain_id,
                        datanet.curator,
                        datanet.stake_required,
                        metadata_hash(datanet),
                    )
                    state = (
                        DatanetState.ACTIVE
                        if tx.status is TxStatus.SUCCEEDED
                        else DatanetState.REGISTRATION_FAILED
                    )
                    await self._set_registration(datanet.id, state, tx)
                    return
                except OpenLedgerError as exc:
                    if getattr(exc, "error_name", None) == "DatanetAlreadyExists":
                        # Registered earlier by this service (a crash after the send) or taken.
                        mine = await self._registered_as(datanet)
                        state = DatanetState.ACTIVE if mine else DatanetState.REGISTRATION_FAILED
                        await self._set_registration(datanet.id, state, None)
                        return
                    if exc.reason == "TRANSACTION_REVERTED":
                        logger.error("registration of %s reverted: %s", datanet.id, exc)
                        await self._set_registration(
                            datanet.id, DatanetState.REGISTRATION_FAILED, None
                        )
                        return
                    logger.warning("registration of %s failed (%s); retrying", datanet.id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        finally:
            self._registering.discard(datanet.id)

    async def _registered_as(self, datanet: Datanet) -> bool:
        """Whether the registry holds this datanet with its curator (registered by this
        service before a crash, rather than taken by someone else)."""
        curator = await self.registry.curator_of(datanet.chain_id)
        return curator is not None and curator.lower() == datanet.curator.lower()

    async def get_datanet(self, datanet_id: str) -> Datanet:
        datanet: Datanet = await self._db(self.repo.get_datanet, datanet_id)
        return datanet

    async def list_datanets(
        self,
        *,
        page_size: int,
        page_token: str,
        curator: str = "",
        domain: str = "",
        states: Sequence[DatanetState] = (),
    ) -> Page[Datanet]:
        size = validation.page_size(page_size, default=50, maximum=500)
        curator_address = parse_address(curator, "curator") if curator else None
        page: Page[Datanet] = await self._db(
            self.repo.list_datanets,
            page_size=size,
            page_token=page_token,
            curator=curator_address,
            domain=domain or None,
            states=tuple(states),
        )
        return page

    async def update_datanet(
        self,
        caller: Caller,
        request_id: str,
        datanet_id: str,
        paths: Sequence[str],
        values: Mapping[str, Any],
        etag: str = "",
    ) -> Datanet:
        """Replace the fields named in ``paths`` with ``values`` (keys: the top-level field
        names; ``curation_policy.<field>`` paths take ``values["curation_policy"]`` as the
        whole new policy, from which only the named fields are copied)."""
        request_id = validation.request_id(request_id)
        current = await self.get_datanet(datanet_id)
        if not (caller.admin or caller.is_(current.curator)):
            raise errors.not_curator(datanet_id, caller.address)
        if not paths:
            raise errors.invalid("update_mask", "required: name the fields to replace")
        key = fingerprint(UPDATE, datanet_id, sorted(paths), _fingerprintable(values), etag)
        remembered = await self._db(
            self.repo.stored_request, request_id, method=UPDATE, fingerprint=key
        )
        if remembered is not None:
            return await self.get_datanet(datanet_id)
        if current.state in (DatanetState.REGISTERING, DatanetState.REGISTRATION_FAILED):
            raise errors.not_active(datanet_id, current.state.value, "update it")
        if etag and etag != current.etag:
            raise Aborted(
                f"etag {etag} is stale (now {current.etag})",
                reason="ETAG_MISMATCH",
                domain=DOMAIN,
            )
        updated, changes = self._apply_paths(current, paths, values)
        config_changed = (
            updated.record_schema != current.record_schema or updated.policy != current.policy
        )
        if config_changed:
            updated = replace(updated, revision=current.revision + 1)
        if (updated.curator, updated.stake_required) != (
            current.curator,
            current.stake_required,
        ) or config_changed:
            try:
                tx = await self.registry.update_datanet(
                    updated.chain_id,
                    updated.curator,
                    updated.stake_required,
                    metadata_hash(updated),
                )
            except OpenLedgerError as exc:
                raise errors.chain_write_failed("update the datanet", str(exc)) from exc
            if tx.status is not TxStatus.SUCCEEDED:
                raise errors.chain_write_failed("update the datanet", "the transaction reverted")
        saved: Datanet = await self._db(
            self.repo.update_datanet,
            datanet_id,
            changes,
            expected_etag=etag or None,
            request_id=request_id,
            fingerprint=key,
        )
        return saved

    def _apply_paths(
        self, current: Datanet, paths: Sequence[str], values: Mapping[str, Any]
    ) -> tuple[Datanet, dict[str, Any]]:
        changes: dict[str, Any] = {}
        policy_fields: dict[str, Any] = {}
        for path in paths:
            field = f"update_mask.paths[{path}]"
            head, _, rest = path.partition(".")
            if head not in UPDATABLE_PATHS or (rest and head != "curation_policy"):
                raise errors.invalid(field, f"{path!r} is not an updatable field")
            value = values.get(head)
            if head == "display_name":
                changes["display_name"] = validation.display_name(str(value or ""))
            elif head == "domain":
                changes["domain"] = validation.domain_slug(str(value or ""))
            elif head == "description":
                changes["description"] = validation.description(str(value or ""))
            elif head == "record_schema":
                changes["record_schema"] = validation.record_schema(value or {})
            elif head == "stake_required":
                changes["stake_required"] = validation.wei(
                    str(value or ""), "datanet.stake_required"
                )
            elif head == "curator":
                changes["curator"] = parse_address(str(value or ""), "datanet.curator")
            elif head == "state":
                state = DatanetState(str(value)) if value else None
                if state not in (DatanetState.ACTIVE, DatanetState.PAUSED):
                    raise errors.invalid("datanet.state", "may only be set to ACTIVE or PAUSED")
                changes["state"] = state
            elif head == "curation_policy":
                if not isinstance(value, Policy):
                    raise errors.invalid("datanet.curation_policy", "required")
                if rest:
                    if rest not in set(policy_to_dict(value)):
                        raise errors.invalid(field, f"CurationPolicy has no field {rest!r}")
                    policy_fields[rest] = getattr(value, rest)
                else:
                    policy_fields.update(
                        {name: getattr(value, name) for name in policy_to_dict(value)}
                    )
        updated = replace(current, **changes)
        if policy_fields:
            updated = replace(updated, policy=replace(updated.policy, **policy_fields))
        updated.policy.validate("datanet.curation_policy", stake_required=updated.stake_required)
        if updated.policy != current.policy:
            changes["policy"] = updated.policy
        return updated, changes

    # ------------------------------------------------------------------ contributions

    async def submit(
        self, caller: Caller, request_id: str, datanet_id: str, records: Sequence[RecordInput]
    ) -> SubmitResponse:
        request_id = validation.request_id(request_id)
        if not records:
            raise errors.invalid("records", "at least one record is required", "RECORDS_EMPTY")
        if len(records) > self.limits.max_records_per_batch:
            raise errors.invalid(
                "records",
                f"{len(records)} records, more than the limit of "
                f"{self.limits.max_records_per_batch} per request",
                errors.BATCH_TOO_LARGE,
            )
        datanet = await self.get_datanet(datanet_id)
        checked: list[CheckedRecord | SubmissionFailure] = [
            check_record(i, record, max_record_bytes=self.limits.max_record_bytes)
            for i, record in enumerate(records)
        ]
        total = sum(c.content_size_bytes for c in checked if isinstance(c, CheckedRecord))
        if total > self.limits.max_batch_bytes:
            raise errors.batch_too_large(total, self.limits.max_batch_bytes, "bytes of records")
        if not caller.service:
            for index, item in enumerate(checked):
                claimed = item.contributor if isinstance(item, CheckedRecord) else None
                if claimed is None:
                    claimed = records[index].contributor
                if not caller.is_(claimed):
                    raise PermissionDenied(
                        f"records[{index}].contributor {claimed!r} is not the caller "
                        f"({caller.address}); only a service token may submit for others",
                        reason=errors.CONTRIBUTOR_NOT_CALLER,
                        domain=DOMAIN,
                        metadata={"field": f"records[{index}].contributor"},
                    )
        key = fingerprint(
            SUBMIT,
            datanet_id,
            [(r.contributor.lower(), r.content_hash, r.signature) for r in records],
        )
        remembered = await self._db(
            self.repo.stored_request, request_id, method=SUBMIT, fingerprint=key
        )
        if remembered is not None:
            stored = await self._db(
                self.repo.add_contributions,
                datanet_id,
                [],
                request_id=request_id,
                fingerprint=key,
            )
            return _merge(datanet_id, stored, remembered.annotations)
        if datanet.state is not DatanetState.ACTIVE:
            raise errors.not_active(datanet_id, datanet.state.value, "submit contributions")
        checked = await self._check_standing(datanet, checked)
        new = [
            NewContribution(
                id=new_id(),
                contributor=c.contributor,
                content=c.content,
                content_hash=c.content_hash,
                signature=c.signature,
                content_size_bytes=c.content_size_bytes,
            )
            for c in checked
            if isinstance(c, CheckedRecord)
        ]
        annotations = {
            "failures": [
                {"index": i, "reason": c.reason.value, "message": c.message}
                for i, c in enumerate(checked)
                if isinstance(c, SubmissionFailure)
            ]
        }
        stored = await self._db(
            self.repo.add_contributions,
            datanet_id,
            new,
            request_id=request_id,
            fingerprint=key,
            annotations=annotations,
        )
        fresh = [r.contribution for r in stored if not r.already_submitted]
        await self.events.contributions_submitted(fresh)
        if self._observe_submission is not None:
            self._observe_submission("queued", len(fresh))
            self._observe_submission("duplicate", len(stored) - len(fresh))
            self._observe_submission("refused", len(annotations["failures"]))
        return _merge(datanet_id, stored, annotations)

    async def _check_standing(
        self, datanet: Datanet, checked: list[CheckedRecord | SubmissionFailure]
    ) -> list[CheckedRecord | SubmissionFailure]:
        addresses = {c.contributor for c in checked if isinstance(c, CheckedRecord)}
        suspended = {
            a for a in addresses if (await self._db(self.repo.contributor, datanet.id, a)).suspended
        }
        stakes: dict[str, int] = {}
        if datanet.stake_required > 0:
            for address in addresses - suspended:
                stakes[address] = await self._stake(datanet, address)
        out: list[CheckedRecord | SubmissionFailure] = []
        for index, item in enumerate(checked):
            if isinstance(item, CheckedRecord):
                if item.contributor in suspended:
                    item = SubmissionFailure(
                        SubmissionErrorReason.CONTRIBUTOR_SUSPENDED,
                        f"records[{index}].contributor: {item.contributor} is suspended from "
                        f"datanet {datanet.id}",
                    )
                elif stakes.get(item.contributor, datanet.stake_required) < datanet.stake_required:
                    item = SubmissionFailure(
                        SubmissionErrorReason.INSUFFICIENT_STAKE,
                        f"records[{index}].contributor: {item.contributor} stakes "
                        f"{stakes[item.contributor]} wei, the datanet requires "
                        f"{datanet.stake_required}",
                    )
            out.append(item)
        return out

    async def _stake(self, datanet: Datanet, address: str) -> int:
        key = (datanet.id, address)
        cached = self._stakes.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.limits.stake_cache_seconds:
            return cached[1]
        stake = await self.registry.stake_of(datanet.chain_id, address)
        self._stakes[key] = (now, stake)
        return stake

    async def get_contribution(
        self, caller: Caller, datanet_id: str, contribution_id: str
    ) -> Contribution:
        datanet = await self.get_datanet(datanet_id)
        contribution: Contribution = await self._db(
            self.repo.get_contribution, contribution_id, datanet_id=datanet_id
        )
        return self._visible(caller, datanet, contribution)

    def _visible(
        self, caller: Caller, datanet: Datanet, contribution: Contribution
    ) -> Contribution:
        """The contribution with its content hidden unless the caller may read it."""
        if contribution.status is ContributionStatus.ACCEPTED:
            return contribution
        if caller.privileged or caller.is_(contribution.contributor) or caller.is_(datanet.curator):
            return contribution
        return replace(contribution, content={})

    async def list_contributions(
        self,
        caller: Caller,
        datanet_id: str | None,
        *,
        page_size: int,
        page_token: str,
        contributor: str = "",
        statuses: Sequence[ContributionStatus] = (),
        reasons: Sequence[str] = (),
        create_time_start: datetime | None = None,
        create_time_end: datetime | None = None,
        newest_first: bool = False,
        omit_content: bool = False,
    ) -> Page[Contribution]:
        size = validation.page_size(page_size, default=100, maximum=1000)
        address = parse_address(contributor, "contributor") if contributor else None
        if datanet_id is None and address is None:
            raise errors.invalid("contributor", "required when parent is 'datanets/-'")
        datanets: dict[str, Datanet] = {}
        if datanet_id is not None:
            datanets[datanet_id] = await self.get_datanet(datanet_id)
        page: Page[Contribution] = await self._db(
            self.repo.list_contributions,
            datanet_id,
            contributor=address,
            statuses=tuple(statuses),
            rejection_reasons=tuple(reasons),
            create_time_start=create_time_start,
            create_time_end=create_time_end,
            newest_first=newest_first,
            page_size=size,
            page_token=page_token,
        )
        items: list[Contribution] = []
        for contribution in page.items:
            if omit_content:
                items.append(replace(contribution, content={}))
                continue
            if contribution.datanet_id not in datanets:
                datanets[contribution.datanet_id] = await self.get_datanet(contribution.datanet_id)
            items.append(self._visible(caller, datanets[contribution.datanet_id], contribution))
        return Page(items, page.next_page_token, page.total_size)

    async def get_contributor(self, datanet_id: str, address: str) -> ContributorView:
        address = parse_address(address, "name")
        datanet = await self.get_datanet(datanet_id)
        contributor: Contributor = await self._db(self.repo.contributor, datanet_id, address)
        stake = await self.registry.stake_of(datanet.chain_id, address)
        if contributor.suspended:
            standing = Standing.SUSPENDED
        elif stake < datanet.stake_required:
            standing = Standing.INSUFFICIENT_STAKE
        else:
            standing = Standing.GOOD
        return ContributorView(contributor, stake, standing)

    # ------------------------------------------------------------------ snapshots

    async def create_snapshot(
        self,
        caller: Caller,
        request_id: str,
        datanet_id: str,
        description: str = "",
        accepted_before: datetime | None = None,
    ) -> Snapshot:
        request_id = validation.request_id(request_id)
        description = validation.snapshot_description(description)
        datanet = await self.get_datanet(datanet_id)
        if not (caller.privileged or caller.is_(datanet.curator)):
            raise errors.not_curator(datanet_id, caller.address)
        if accepted_before is not None and accepted_before > utcnow():
            raise errors.invalid("accepted_before", "must not be in the future")
        key = fingerprint(SNAPSHOT, datanet_id, description, accepted_before)
        remembered = await self._db(
            self.repo.stored_request, request_id, method=SNAPSHOT, fingerprint=key
        )
        if remembered is None and datanet.state not in (DatanetState.ACTIVE, DatanetState.PAUSED):
            raise errors.not_active(datanet_id, datanet.state.value, "take a snapshot")
        snapshot: Snapshot = await self._db(
            self.repo.create_snapshot_job,
            datanet_id,
            request_id=request_id,
            fingerprint=key,
            description=description,
            creator=caller.address or "",
            accepted_before=accepted_before,
        )
        self._snapshot_wakeup.set()
        return snapshot

    async def get_snapshot(self, datanet_id: str, sequence: int) -> Snapshot:
        snapshot: Snapshot = await self._db(self.repo.get_snapshot, datanet_id, sequence)
        return snapshot

    async def list_snapshots(
        self,
        datanet_id: str | None,
        *,
        page_size: int,
        page_token: str,
        states: Sequence[JobState] = (),
    ) -> Page[Snapshot]:
        size = validation.page_size(page_size, default=50, maximum=500)
        if datanet_id is not None:
            await self.get_datanet(datanet_id)
        page: Page[Snapshot] = await self._db(
            self.repo.list_snapshots,
            datanet_id,
            states=tuple(states),
            page_size=size,
            page_token=page_token,
        )
        return page

    async def _succeeded(self, datanet_id: str, sequence: int) -> Snapshot:
        snapshot = await self.get_snapshot(datanet_id, sequence)
        if snapshot.state is not JobState.SUCCEEDED:
            raise FailedPrecondition(
                f"snapshot {snapshot.name} is {snapshot.state.value}, not SUCCEEDED",
                reason=errors.SNAPSHOT_NOT_SUCCEEDED,
                domain=DOMAIN,
            )
        return snapshot

    async def export_snapshot(
        self, datanet_id: str, sequence: int, start: int, end: int, *, chunk: int = 1000
    ) -> AsyncIterator[list[SnapshotRecord]]:
        """Consecutive records from ``start`` to ``end`` (0: the end), ``chunk`` at a time."""
        snapshot = await self._succeeded(datanet_id, sequence)
        if start < 0:
            raise errors.invalid("start_index", "must not be negative")
        if start > snapshot.record_count:
            # gRPC's OUT_OF_RANGE has no kit error kind: INVALID_ARGUMENT, reason OUT_OF_RANGE.
            raise errors.invalid(
                "start_index",
                f"{start} is beyond the snapshot's {snapshot.record_count} records",
                "OUT_OF_RANGE",
            )
        if end and end < start:
            raise errors.invalid("end_index", f"{end} is before start_index {start}")
        stop = snapshot.record_count if not end else min(end, snapshot.record_count)
        return self._records(datanet_id, sequence, start, stop, chunk)

    async def _records(
        self, datanet_id: str, sequence: int, start: int, stop: int, chunk: int
    ) -> AsyncIterator[list[SnapshotRecord]]:
        position = start
        while position < stop:
            end = min(position + chunk, stop)
            batch: list[SnapshotRecord] = await self._db(
                lambda p=position, e=end: list(
                    self.repo.snapshot_records(datanet_id, sequence, p, e, batch_size=chunk)
                )
            )
            if not batch:
                return
            yield batch
            position += len(batch)

    async def inclusion_proof(
        self,
        datanet_id: str,
        sequence: int,
        *,
        record_id: str | None = None,
        leaf_index: int | None = None,
    ) -> InclusionProof:
        snapshot = await self._succeeded(datanet_id, sequence)
        if (record_id is None) == (leaf_index is None):
            raise errors.invalid("record", "give exactly one of record_id and leaf_index")
        if leaf_index is not None and not 0 <= leaf_index < snapshot.record_count:
            raise errors.invalid(
                "leaf_index",
                f"{leaf_index} is outside the snapshot's {snapshot.record_count} leaves",
                "OUT_OF_RANGE",
            )
        proof: RecordProof = await self._db(
            self.repo.inclusion_proof,
            datanet_id,
            sequence,
            index=leaf_index,
            record_id=record_id,
        )
        return InclusionProof(snapshot, proof)

    # ------------------------------------------------------------------ the snapshot runner

    async def _run_snapshots(self) -> None:
        """Run snapshot jobs one at a time, oldest first; QUEUED and RUNNING ones left by a
        previous process are picked up again."""
        while True:
            try:
                jobs: list[Snapshot] = await self._db(self.repo.runnable_snapshots)
                for job in jobs:
                    await self.run_snapshot(job)
                if not jobs:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._snapshot_wakeup.wait(), 1.0)
                    self._snapshot_wakeup.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("snapshot runner failed; retrying")
                await asyncio.sleep(1.0)

    async def run_snapshot(self, job: Snapshot) -> Snapshot:
        """Freeze, write the files, anchor the root, publish; FAILED with a reason otherwise.
        Each step is recorded, so a restarted process continues where this one stopped."""
        started = time.monotonic()
        datanet_id, sequence = job.datanet_id, job.sequence
        update = self.repo.update_snapshot
        if job.state is JobState.QUEUED:
            job = await self._db(
                update, datanet_id, sequence, state=JobState.RUNNING, progress=0.05
            )
        try:
            job = await self._freeze(job)
            if job.jsonl is None or job.parquet is None:
                job = await self._files(job)
            if job.anchor is None or job.anchor.status is not TxStatus.SUCCEEDED:
                job = await self._anchor(job)
        except _SnapshotFailed as failure:
            job = await self._db(
                update,
                datanet_id,
                sequence,
                state=JobState.FAILED,
                error_reason=failure.reason,
                error_message=failure.message[:2000],
            )
            self._observe(started, "FAILED")
            logger.warning("snapshot %s failed: %s", job.name, failure.message)
            return job
        job = await self._db(update, datanet_id, sequence, state=JobState.SUCCEEDED)
        await self.events.snapshot_published(job)
        self._observe(started, "SUCCEEDED")
        logger.info("snapshot %s anchored: %d records", job.name, job.record_count)
        return job

    def _observe(self, started: float, state: str) -> None:
        if self._observe_snapshot is not None:
            self._observe_snapshot(time.monotonic() - started, state)

    async def _freeze(self, job: Snapshot) -> Snapshot:
        try:
            frozen: Snapshot = await self._db(
                self.repo.freeze_snapshot, job.datanet_id, job.sequence
            )
        except OpenLedgerError as exc:
            raise _SnapshotFailed("INTERNAL", exc.message) from exc
        return await self._db(
            self.repo.update_snapshot, frozen.datanet_id, frozen.sequence, progress=0.3
        )

    async def _files(self, job: Snapshot) -> Snapshot:
        if self._write_files is None:
            raise _SnapshotFailed("STORAGE_ERROR", "no object store configured")
        try:
            jsonl, parquet = await self._db(
                self._write_files,
                lambda: self.repo.snapshot_records(job.datanet_id, job.sequence),
            )
        except (OSError, OpenLedgerError) as exc:
            raise _SnapshotFailed("STORAGE_ERROR", str(exc)) from exc
        written: Snapshot = await self._db(
            self.repo.update_snapshot,
            job.datanet_id,
            job.sequence,
            jsonl=jsonl,
            parquet=parquet,
            progress=0.7,
        )
        return written

    async def _anchor(self, job: Snapshot) -> Snapshot:
        chain_id = chain_datanet_id(job.datanet_id)
        assert job.jsonl is not None
        already = await self.registry.anchored_root(chain_id, job.sequence)
        if already is not None:
            if already != job.merkle_root:
                raise _SnapshotFailed(
                    "ANCHOR_REVERTED",
                    f"sequence {job.sequence} is anchored with another root 0x{already.hex()}",
                )
            return job  # anchored before a restart
        try:
            tx = await self.registry.anchor_snapshot(
                chain_id, job.sequence, job.merkle_root, job.record_count, job.jsonl.sha256
            )
        except OpenLedgerError as exc:
            if exc.reason == "RECEIPT_TIMEOUT":
                raise _SnapshotFailed("ANCHOR_TIMEOUT", exc.message) from exc
            if exc.reason == "TRANSACTION_REVERTED":
                raise _SnapshotFailed("ANCHOR_REVERTED", exc.message) from exc
            raise
        anchored: Snapshot = await self._db(
            self.repo.update_snapshot, job.datanet_id, job.sequence, anchor=tx, progress=0.95
        )
        if tx.status is not TxStatus.SUCCEEDED:
            raise _SnapshotFailed("ANCHOR_REVERTED", "the anchoring transaction reverted")
        return anchored


class _SnapshotFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _fingerprintable(values: Mapping[str, Any]) -> object:
    out: dict[str, Any] = {}
    for key, value in values.items():
        out[key] = policy_to_dict(value) if isinstance(value, Policy) else value
    return sorted(out.items(), key=lambda item: item[0])


def _merge(
    datanet_id: str, stored: Sequence[SubmittedRecord], annotations: Mapping[str, Any]
) -> SubmitResponse:
    """The response of a submission: stored records and refused ones, in request order."""
    failures = {
        int(f["index"]): SubmissionFailure(SubmissionErrorReason(f["reason"]), f["message"])
        for f in annotations.get("failures", [])
    }
    results: list[SubmissionResult] = []
    records = iter(stored)
    for index in range(len(stored) + len(failures)):
        failure = failures.get(index)
        if failure is not None:
            results.append(SubmissionResult(index=index, failure=failure))
            continue
        record = next(records)
        results.append(
            SubmissionResult(
                index=index,
                contribution_id=record.contribution.id,
                already_submitted=record.already_submitted,
            )
        )
    return SubmitResponse(datanet_id, tuple(results))
