"""The state database: deliveries, review runs and per-pull-request locks.

Every method is one short transaction. The rules that keep reviews single live here, in SQL, so
they hold across threads and processes:

- a delivery id is the primary key of `deliveries`: a redelivery never makes a second run;
- a run for a head SHA that is already queued or running is not queued again;
- a run for a newer head supersedes older runs of the same PR: a queued one ends at once, a
  running one is flagged `superseded_by` it, reads that flag between stages and stops before it
  posts;
- a queue message stands for the newest run of its supersede chain (`current_run`): a run that
  supersedes a queued run before it started takes over that run's message instead of adding one,
  so a burst of pushes to a pull request costs the queue one message and the worker one review;
- one run per pull request holds the PR's lock (a lease) while it works.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Row,
    String,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    event,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from reviewbot.state.migrations import add_missing_columns
from reviewbot.state.models import Base, DeliveryRow, PullRequestLockRow, RunRow
from reviewbot.state.records import (
    ACTIVE_STATUSES,
    DeliveryRecord,
    HeadClaim,
    IntakeOutcome,
    IntakeResult,
    RunRecord,
    RunRequest,
    RunStatus,
)
from reviewbot.state.writer_lock import ThreadWriterGate, WriterLock

LOCK_LEASE = timedelta(minutes=15)
STALE_QUEUED_AFTER = timedelta(minutes=15)
READ_ONLY = "reviewbot_read_only"  # an execution option: the transaction only reads


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_state_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, a busy timeout, every transaction taking the write lock up
    front so two writers never deadlock on a lock upgrade) or PostgreSQL."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, future=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Readers never take the write lock: in WAL mode they read a snapshot beside the writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class StateStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._reads = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        # SQLite admits one writer at a time: writers queue for it in a WriterLock (see there).
        # PostgreSQL needs no such queue.
        self._write_lock: AbstractContextManager[object] = _writer_lock(engine)

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._write_lock, self._sessions.begin() as session:
            yield session

    @classmethod
    def open(cls, url: str) -> StateStore:
        store = cls(create_state_engine(url))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)
        add_missing_columns(self.engine)  # a database created by an earlier version

    def close(self) -> None:
        self.engine.dispose()
        if isinstance(self._write_lock, WriterLock):
            self._write_lock.close()

    def ping(self) -> None:
        with self._reads() as session:
            session.execute(text("SELECT 1"))

    # -- intake ---------------------------------------------------------------------------------

    def record_delivery(self, delivery_id: str, event_name: str, action: str,
                        request: RunRequest | None, ignored_reason: str = "") -> IntakeResult:
        """Record a verified delivery and, for a review request, its run. The caller enqueues the
        returned run after this commits (and calls `forget_delivery` if it cannot), unless
        the run took over the queue message of the run it superseded (`carried_by`).

        This is the webhook handler's only database work: prepared Core statements in one short
        transaction."""
        now = utcnow()
        try:
            with self._write_lock, self.engine.begin() as connection:
                if connection.execute(_DELIVERY_SEEN, {"b_delivery_id": delivery_id}).first() is not None:
                    return IntakeResult(IntakeOutcome.DUPLICATE_DELIVERY, detail="delivery already received")
                result = self._intake(connection, delivery_id, request, ignored_reason, now)
                connection.execute(_INSERT_DELIVERY, {
                    "id": delivery_id, "event": event_name, "action": action, "outcome": result.outcome.value,
                    "detail": result.detail, "run_id": result.run_id, "received_at": now,
                })
                return result
        except IntegrityError:
            # Two copies of one delivery raced; the other one was recorded first.
            return IntakeResult(IntakeOutcome.DUPLICATE_DELIVERY, detail="delivery already received")

    def _intake(self, connection: Connection, delivery_id: str, request: RunRequest | None,
                ignored_reason: str, now: datetime) -> IntakeResult:
        if request is None:
            return IntakeResult(IntakeOutcome.IGNORED, detail=ignored_reason)
        pull = {"b_repository": request.repository, "b_number": request.number, "b_head_sha": request.head_sha}
        if request.head_sha is not None:
            existing = connection.execute(_ACTIVE_RUN_FOR_HEAD, pull).first()
            if existing is not None:
                return IntakeResult(IntakeOutcome.DUPLICATE_RUN, existing.id,
                                    f"run {existing.id} for {request.head_sha[:7]} is already {existing.status}")
        run_id = connection.execute(_INSERT_RUN, {
            "delivery_id": delivery_id, "installation_id": request.installation_id,
            "repository": request.repository, "pr_number": request.number, "head_sha": request.head_sha,
            "trigger": request.trigger, "requested_by": request.requested_by, "comment_id": request.comment_id,
            "draft": request.draft, "status": RunStatus.QUEUED.value, "detail": "", "attempts": 0,
            "created_at": now, "next_attempt_at": now, "timings": {}, "api_calls": 0, "file_errors": [],
            "errors": [], "publication": {},
        }).scalar_one()
        if request.head_sha is None:
            return IntakeResult(IntakeOutcome.QUEUED, run_id)
        ended = connection.execute(_SUPERSEDE_OLDER_RETURNING, {**pull, "b_run_id": run_id, "b_now": now}).all()
        # A queued run that ended here and was due has a message waiting (or being read) in the
        # queue: the new run takes it over. A run waiting out a retry's backoff, or revived by
        # `forget_delivery` with no message, is no carrier.
        carrier = next((row.id for row in ended if row.status == RunStatus.SUPERSEDED.value
                        and now - STALE_QUEUED_AFTER < row.next_attempt_at <= now), None)
        if carrier is None:
            return IntakeResult(IntakeOutcome.QUEUED, run_id)
        return IntakeResult(IntakeOutcome.QUEUED, run_id, f"takes the place of run {carrier} in the queue",
                            carried_by=carrier)

    def forget_delivery(self, delivery_id: str, reason: str) -> None:
        """Undo `record_delivery` when the run could not be queued, so that GitHub's redelivery
        of the same id is accepted instead of being taken for a duplicate."""
        with self._writing() as session:
            delivery = session.get(DeliveryRow, delivery_id)
            if delivery is None:
                return
            run_id = delivery.run_id
            session.delete(delivery)
            if run_id is not None and delivery.outcome == IntakeOutcome.QUEUED.value:
                # The runs it superseded stand again. Those that ended for it may have no queue
                # message left: they are due at once for the next sweep of orphaned runs.
                session.execute(update(RunRow).where(RunRow.superseded_by == run_id,
                                                     RunRow.status.in_(ACTIVE_STATUSES))
                                .values(superseded_by=None))
                session.execute(update(RunRow).where(RunRow.superseded_by == run_id,
                                                     RunRow.status == RunStatus.SUPERSEDED.value)
                                .values(superseded_by=None, status=RunStatus.QUEUED.value, detail="",
                                        finished_at=None, next_attempt_at=utcnow() - STALE_QUEUED_AFTER))
                session.execute(update(RunRow).where(RunRow.id == run_id).values(
                    status=RunStatus.FAILED.value, detail=reason, errors=[reason], finished_at=utcnow()))

    def get_delivery(self, delivery_id: str) -> DeliveryRecord | None:
        with self._reads() as session:
            row = session.get(DeliveryRow, delivery_id)
            return None if row is None else DeliveryRecord(
                row.id, row.event, row.action, row.outcome, row.detail, row.run_id, row.received_at)

    def delivery_ids(self) -> set[str]:
        with self._reads() as session:
            return set(session.scalars(select(DeliveryRow.id)))

    # -- runs -----------------------------------------------------------------------------------

    def get_run(self, run_id: int) -> RunRecord | None:
        with self._reads() as session:
            row = session.connection().execute(_SELECT_RUN, {"b_run_id": run_id}).first()
            return None if row is None else _record(row)

    def current_run(self, run_id: int) -> RunRecord | None:
        """The run that the queue message of `run_id` starts now: the run itself or, when newer
        heads superseded it, the last run of that chain. A run that supersedes a queued run at
        intake is not enqueued (`IntakeResult.carried_by`): it relies on this. Whoever starts the
        run first wins (`start_attempt`), so a spare message costs one read. None when there is no
        such run."""
        with self._reads() as session:
            row = session.connection().execute(_LAST_OF_CHAIN, {"b_run_id": run_id}).first()
            return None if row is None else _record(row)

    def runs_for(self, repository: str, number: int) -> list[RunRecord]:
        with self._reads() as session:
            rows = session.scalars(select(RunRow).where(RunRow.repository == repository, RunRow.pr_number == number)
                                   .order_by(RunRow.id))
            return [_record(row) for row in rows]

    def all_runs(self) -> list[RunRecord]:
        with self._reads() as session:
            return [_record(row) for row in session.scalars(select(RunRow).order_by(RunRow.id))]

    def start_attempt(self, run_id: int) -> RunRecord | None:
        """Move a queued run to running and count the attempt. None when the run is not queued:
        another worker took it, or it already ended (a queue message delivered twice)."""
        with self._writing() as session:
            now = utcnow()
            result = session.execute(
                update(RunRow).where(RunRow.id == run_id, RunRow.status == RunStatus.QUEUED.value)
                .values(status=RunStatus.RUNNING.value, attempts=RunRow.attempts + 1, started_at=now,
                        timings={})
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.get(RunRow, run_id)
            return None if row is None else _record(row)

    def claim_head(self, run_id: int, head_sha: str) -> HeadClaim:
        """Fix the head SHA of a run that did not know it (a command) and apply the same rules
        as intake: a duplicate of an active run for that head stands down, and it supersedes
        older active runs of other heads."""
        with self._writing() as session:
            row = session.get(RunRow, run_id)
            if row is None or row.superseded_by is not None:
                return HeadClaim.SUPERSEDED
            pull = {"b_repository": row.repository, "b_number": row.pr_number, "b_head_sha": head_sha,
                    "b_run_id": run_id, "b_now": utcnow()}
            existing = session.execute(_ACTIVE_OLDER_RUN_FOR_HEAD, pull).first()
            if existing is not None:
                return HeadClaim.DUPLICATE
            row.head_sha = head_sha
            session.flush()
            session.connection().execute(_SUPERSEDE_OLDER, pull)
            return HeadClaim.PROCEED

    def superseding_run(self, run_id: int) -> int | None:
        with self._reads() as session:
            return session.scalar(select(RunRow.superseded_by).where(RunRow.id == run_id))

    def save_progress(self, run_id: int, *, timings: dict[str, float] | None = None, api_calls: int | None = None,
                      findings: list[dict[str, Any]] | None = None,
                      file_errors: list[dict[str, Any]] | None = None,
                      publication: dict[str, Any] | None = None,
                      explanation_stats: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {}
        if timings is not None:
            values["timings"] = dict(timings)
        if api_calls is not None:
            values["api_calls"] = api_calls
        if findings is not None:
            values["findings"] = findings
        if file_errors is not None:
            values["file_errors"] = file_errors
        if publication is not None:
            values["publication"] = publication
        if explanation_stats is not None:
            values["explanation_stats"] = explanation_stats
        if values:
            with self._writing() as session:
                session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def finish(self, run_id: int, status: RunStatus, detail: str = "", *, error: str | None = None) -> None:
        with self._writing() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                return
            row.status = status.value
            row.detail = detail
            row.finished_at = utcnow()
            if error:
                row.errors = [*row.errors, error]

    def requeue(self, run_id: int, delay: float, error: str | None = None) -> None:
        """Put a run back in the queued state, to run again after `delay` seconds; a run that a
        newer head superseded meanwhile ends instead."""
        with self._writing() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                return
            if row.superseded_by is not None:
                row.status = RunStatus.SUPERSEDED.value
                row.detail = f"superseded by run {row.superseded_by}"
                row.finished_at = utcnow()
            else:
                row.status = RunStatus.QUEUED.value
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            if error:
                row.errors = [*row.errors, error]

    def orphaned_runs(self, now: datetime | None = None) -> list[int]:
        """Runs no queue message will ever start: running runs whose worker died (their PR lock
        lapsed) are set back to queued, and queued runs long overdue are listed for enqueueing
        again. Starting a run is atomic (`start_attempt`), so a spare message is harmless. Such
        runs that a newer head superseded end instead: the newer run reviews the pull request."""
        now = now or utcnow()
        with self._writing() as session:
            dead = RunRow.id.not_in(select(PullRequestLockRow.run_id).where(PullRequestLockRow.expires_at > now))
            session.execute(update(RunRow).where(
                RunRow.superseded_by.is_not(None), _QUEUED | ((RunRow.status == RunStatus.RUNNING.value) & dead))
                .values(status=RunStatus.SUPERSEDED.value, detail=_superseded_detail(RunRow.superseded_by),
                        finished_at=now))
            revived = list(session.scalars(update(RunRow).where(RunRow.status == RunStatus.RUNNING.value, dead)
                                           .values(status=RunStatus.QUEUED.value, next_attempt_at=now)
                                           .returning(RunRow.id)))
            overdue = list(session.scalars(update(RunRow).where(
                _QUEUED, RunRow.next_attempt_at < now - STALE_QUEUED_AFTER).values(next_attempt_at=now)
                .returning(RunRow.id)))
            return sorted(set(revived) | set(overdue))

    # -- per-pull-request lock ------------------------------------------------------------------

    def acquire_lock(self, run: RunRecord, lease: timedelta = LOCK_LEASE) -> bool:
        """Take the PR's lock for `run`, unless another run holds an unexpired lease on it."""
        now = utcnow()
        try:
            with self._writing() as session:
                session.execute(delete(PullRequestLockRow).where(
                    PullRequestLockRow.repository == run.repository, PullRequestLockRow.pr_number == run.number,
                    (PullRequestLockRow.expires_at <= now) | (PullRequestLockRow.run_id == run.id)))
                session.add(PullRequestLockRow(repository=run.repository, pr_number=run.number, run_id=run.id,
                                               expires_at=now + lease))
            return True
        except IntegrityError:
            return False

    def renew_lock(self, run: RunRecord, lease: timedelta = LOCK_LEASE) -> None:
        with self._writing() as session:
            session.execute(update(PullRequestLockRow).where(
                PullRequestLockRow.repository == run.repository, PullRequestLockRow.pr_number == run.number,
                PullRequestLockRow.run_id == run.id).values(expires_at=utcnow() + lease))

    def release_lock(self, run: RunRecord) -> None:
        with self._writing() as session:
            session.execute(delete(PullRequestLockRow).where(
                PullRequestLockRow.repository == run.repository, PullRequestLockRow.pr_number == run.number,
                PullRequestLockRow.run_id == run.id))


# The statements of the intake path, built once: building them per webhook costs more than
# running them. Parameters: :b_delivery_id, :b_repository, :b_number, :b_head_sha, :b_run_id.
_DELIVERY_SEEN = select(DeliveryRow.id).where(DeliveryRow.id == bindparam("b_delivery_id"))
_INSERT_DELIVERY = insert(DeliveryRow)
_INSERT_RUN = insert(RunRow).returning(RunRow.id)
_SAME_PULL_REQUEST = (RunRow.repository == bindparam("b_repository"), RunRow.pr_number == bindparam("b_number"))
_ACTIVE = (RunRow.status.in_(ACTIVE_STATUSES), RunRow.superseded_by.is_(None))
# The oldest queued or running, not superseded, run for this head of the pull request.
_ACTIVE_RUN_FOR_HEAD = (select(RunRow.id, RunRow.status)
                        .where(*_SAME_PULL_REQUEST, *_ACTIVE, RunRow.head_sha == bindparam("b_head_sha"))
                        .order_by(RunRow.id).limit(1))
_ACTIVE_OLDER_RUN_FOR_HEAD = _ACTIVE_RUN_FOR_HEAD.where(RunRow.id < bindparam("b_run_id"))
# Older active runs of the pull request for another head (or none yet) are superseded by
# :b_run_id. A queued one ends here (and :b_run_id may take over its queue message, see
# `_intake`); a running one sees the flag between its stages and stops before it posts.
_QUEUED = RunRow.status == RunStatus.QUEUED.value


def _superseded_detail(run_id: ColumnElement[int]) -> ColumnElement[str]:
    return literal("superseded by run ") + cast(run_id, String)


_SUPERSEDE_OLDER = (update(RunRow)
                    .where(*_SAME_PULL_REQUEST, *_ACTIVE, RunRow.id < bindparam("b_run_id"),
                           RunRow.head_sha.is_(None) | (RunRow.head_sha != bindparam("b_head_sha")))
                    .values(superseded_by=bindparam("b_run_id"),
                            status=case((_QUEUED, RunStatus.SUPERSEDED.value), else_=RunRow.status),
                            detail=case((_QUEUED, _superseded_detail(bindparam("b_run_id", type_=Integer))),
                                        else_=RunRow.detail),
                            finished_at=case((_QUEUED, bindparam("b_now")), else_=RunRow.finished_at)))
_SUPERSEDE_OLDER_RETURNING = _SUPERSEDE_OLDER.returning(RunRow.id, RunRow.status, RunRow.next_attempt_at)
_SELECT_RUN = select(RunRow.__table__).where(RunRow.id == bindparam("b_run_id"))
# The chain of runs from :b_run_id along `superseded_by` (ids only grow along it), and its last run.
_chain = (select(RunRow.id, RunRow.superseded_by).where(RunRow.id == bindparam("b_run_id"))
          .cte("supersede_chain", recursive=True))
_chain = _chain.union_all(select(RunRow.id, RunRow.superseded_by).where(RunRow.id == _chain.alias().c.superseded_by))
_LAST_OF_CHAIN = (select(RunRow.__table__).join(_chain, RunRow.id == _chain.c.id)
                  .where(_chain.c.superseded_by.is_(None)))


def _writer_lock(engine: Engine) -> AbstractContextManager[object]:
    """Threads and processes sharing an SQLite file queue on a lock file beside it; an
    in-memory database has one process; PostgreSQL orders writers itself."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    database = engine.url.database
    if not database or database == ":memory:":
        return ThreadWriterGate()
    return WriterLock.beside(database)


def _record(row: RunRow | Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id, delivery_id=row.delivery_id, installation_id=row.installation_id, repository=row.repository,
        number=row.pr_number, head_sha=row.head_sha, trigger=row.trigger, requested_by=row.requested_by,
        comment_id=row.comment_id, draft=row.draft, status=RunStatus(row.status), detail=row.detail,
        superseded_by=row.superseded_by, attempts=row.attempts, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at, timings=dict(row.timings or {}),
        api_calls=row.api_calls, findings=row.findings, file_errors=list(row.file_errors or []),
        errors=list(row.errors or []), publication=dict(row.publication or {}),
        explanation_stats=dict(row.explanation_stats) if row.explanation_stats is not None else None,
    )

