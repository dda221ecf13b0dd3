"""Measure one reminder dispatch pass over many active assignments.

By default everything runs in this process, in one transaction that is rolled back at the
end, so the generated patients never stay in the database. With ``--celery`` the pass also
runs as production runs it, on a Celery worker of its own: those patients are committed
(the worker's processes must read them) and deleted afterwards with every row the pass
wrote. Run it on a development, test or benchmark database, never on production.
"""

import ast
import datetime
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from contextlib import contextmanager
from json import dumps as json_dumps
from urllib.parse import quote

import kombu.pools
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import Clinic
from flexion.celery import app
from patients import tasks
from patients.models import Assignment, Patient, Reminder, Session, SessionStatus, StageChange
from patients.reminders import (
    CLAIM_BATCH,
    batched,
    claim_batches,
    due_candidates,
    reminders_claim,
    reminders_reclaim_stale,
)
from programs.models import ProgressionScheme

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def assignments_generate(count: int, *, now: datetime.datetime, sessions: int = 2) -> Clinic:
    """Bulk-insert `count` patients with one active assignment each, due at `now`.

    Reminder times are midnight in eight time zones, the programs started three weeks
    before, and each has `sessions` completed sessions in the last days, so the
    progression rule has a history to replay.
    """
    clinic = Clinic.objects.create(name="Benchmark clinic", slug=f"bench-{time.time_ns()}")
    scheme = ProgressionScheme.objects.get(clinic=None, is_default=True)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                first_name=f"Patient {n}",
                email=f"bench{n}@example.com",
                timezone=ZONES[n % len(ZONES)],
                reminder_consent=True,
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                clinic=clinic,
                patient=patient,
                name="Hip flexor stretches",
                scheme=scheme,
                start_date=now.astimezone(zoneinfo.ZoneInfo(patient.timezone)).date()
                - datetime.timedelta(days=21),
                reminder_time=datetime.time(0, 0),
                timezone=patient.timezone,
            )
            for patient in patients
        ],
        batch_size=5000,
    )
    Session.objects.bulk_create(
        [
            Session(
                assignment=assignment,
                patient_id=assignment.patient_id,
                performed_on=assignment.start_date + datetime.timedelta(days=14 + 2 * n),
                status=SessionStatus.COMPLETED,
            )
            for assignment in assignments
            for n in range(sessions)
        ],
        batch_size=5000,
    )
    return clinic


def celery_pass_measure(count: int, *, sessions: int, processes: int) -> dict:
    """Time one pass as production runs it; return the figures.

    Beat's part is done here (the dispatch task is enqueued), the rest by a Celery worker
    (`celery -A flexion worker`, prefork, `processes` processes) with a Redis of its own:
    the dispatch task finds who is due and enqueues the claim batches, the worker's
    processes share the batches. The time runs until the worker reports the last batch
    done, that is committed and its send tasks enqueued. The sends are not timed: the
    worker and its Redis stop there, and the queued sends go with them.
    """
    now = timezone.now()
    # Killed with SIGTERM, still delete what was committed: the finally clauses run.
    terminate = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with transaction.atomic():
            clinic = assignments_generate(count, now=now, sessions=sessions)
        started = timezone.now()
        try:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            with redis_server() as broker_url, broker_used(broker_url):
                watch = TaskWatch()
                with watch.listening(), celery_worker(processes) as worker:
                    watch.wait_for(lambda: worker in watch.online, "the worker to start")
                    worker_ready_wait(worker)
                    enqueued = time.time()
                    tasks.reminders_dispatch.apply_async((now.isoformat(),))
                    watch.wait_for(watch.all_claimed, "every claim batch", timeout=3600)
        finally:
            pass_rows_delete(clinic, now=now, since=started)
    finally:
        signal.signal(signal.SIGTERM, terminate)
    return {
        "celery_processes": processes,
        "celery_due_seconds": round(watch.dispatch["runtime"], 2),
        "celery_due": watch.dispatch["result"]["candidates"],
        "celery_batches": watch.dispatch["result"]["batches"],
        "celery_pass_seconds": round(max(watch.claims_done) - enqueued, 2),
        "celery_claim_task_seconds": round(statistics.mean(watch.claim_runtimes), 2),
    }


@contextmanager
def redis_server():
    """Run a redis-server without persistence on a free port; yield its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="flexion-bench-redis-") as directory:
        try:
            process = subprocess.Popen(
                [
                    "redis-server", "--bind", "127.0.0.1", "--port", str(port),
                    "--save", "", "--appendonly", "no", "--dir", directory,
                ],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
        except FileNotFoundError as error:
            raise CommandError("--celery needs redis-server on the PATH.") from error
        try:
            client = redis.Redis(port=port)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(10)


@contextmanager
def broker_used(url: str):
    """Publish, ping and listen through this broker in this process, as the worker reads it."""
    previous = app.conf.CELERY_BROKER_URL, app.conf.CELERY_BROKER_TRANSPORT_OPTIONS

    def use(broker, options):
        # The settings' CELERY_ keys win over broker_url. Cached pools keep the old broker:
        # close and forget them (kombu's registry would hand a closed one out again).
        app.conf.CELERY_BROKER_URL = broker
        app.conf.CELERY_BROKER_TRANSPORT_OPTIONS = options
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    # The worker started on it has only the settings' transport options (no key prefix a
    # caller of this process may have set).
    use(url, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    try:
        yield
    finally:
        use(*previous)


@contextmanager
def celery_worker(processes: int):
    """Run `celery -A flexion worker` on this process's broker; yield its node name."""
    name = f"bench-dispatch-{os.getpid()}@{socket.gethostname()}"
    environment = os.environ | {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": app.conf.CELERY_BROKER_URL,
        # The sends queued after the claims may start before the worker stops: no mail.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "flexion", "worker", "--pool", "prefork",
                "--concurrency", str(processes), "--events", "--hostname", name,
                "--loglevel", "WARNING",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield name
        except CommandError as error:
            log.seek(0)
            raise CommandError(f"{error}\nThe worker said:\n{log.read()[-3000:]}") from error
        finally:
            process.terminate()  # warm shutdown: the processes end the task at hand
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def worker_ready_wait(worker: str, timeout: float = 60) -> None:
    """Return once the worker answers a ping: it consumes tasks by then."""
    deadline = time.monotonic() + timeout
    # A ping sent before the worker listens is lost, so ask again until it answers.
    while not app.control.ping(destination=[worker], timeout=0.5):
        if time.monotonic() > deadline:
            raise CommandError(f"The worker did not answer within {timeout:.0f} s.")


def database_url() -> str:
    """Return the URL of the database this process uses, for the worker to use it too."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user = quote(database["USER"] or "", safe="")
    password = quote(database["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    return (
        f"postgres://{credentials}{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
        f"/{quote(database['NAME'], safe='')}"
    )


class TaskWatch:
    """What the worker's events say: it is online, the dispatch result, each batch done."""

    def __init__(self) -> None:
        self.online: set[str] = set()
        self.names: dict[str, str] = {}
        self.dispatch: dict | None = None
        self.claims_done: list[float] = []
        self.claim_runtimes: list[float] = []
        self.failed: list[str] = []
        self.changed = threading.Condition()

    def on_event(self, event: dict) -> None:
        with self.changed:
            kind, uuid = event["type"], event.get("uuid")
            if kind in ("worker-online", "worker-heartbeat"):
                self.online.add(event["hostname"])
            elif kind == "task-received":
                self.names[uuid] = event["name"]
            elif (
                kind == "task-succeeded"
                and self.names.get(uuid) == tasks.reminders_claim_batch.name
            ):
                self.claims_done.append(event["timestamp"])
                self.claim_runtimes.append(event["runtime"])
            elif kind == "task-succeeded" and self.names.get(uuid) == tasks.reminders_dispatch.name:
                self.dispatch = {
                    "result": ast.literal_eval(event["result"]),
                    "runtime": event["runtime"],
                }
            elif kind in ("task-failed", "task-retried") and self.names.get(uuid) in (
                tasks.reminders_claim_batch.name,
                tasks.reminders_dispatch.name,
            ):
                self.failed.append(f"{self.names[uuid]}: {event.get('exception')}")
            self.changed.notify_all()

    def all_claimed(self) -> bool:
        return (
            self.dispatch is not None
            and len(self.claims_done) == self.dispatch["result"]["batches"]
        )

    def wait_for(self, condition, what: str, timeout: float = 60) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: condition() or self.failed, timeout):
                raise CommandError(f"Timed out after {timeout:.0f} s waiting for {what}.")
            if self.failed:
                raise CommandError(f"The pass failed on the worker: {self.failed[0]}")

    @contextmanager
    def listening(self):
        """Receive the events in a thread until the block ends."""
        with app.connection() as broker:
            receiver = app.events.Receiver(broker, handlers={"*": self.on_event})
            thread = threading.Thread(
                target=receiver.capture, kwargs={"wakeup": False}, daemon=True
            )
            thread.start()
            try:
                yield
            finally:
                receiver.should_stop = True
                thread.join(5)


def pass_rows_delete(clinic: Clinic, *, now: datetime.datetime, since: datetime.datetime):
    """Delete the generated patients and every row the pass wrote, then refresh statistics.

    The pass may also have claimed reminders of the database's own patients who were due
    at `now`, and recorded their stage changes: those go too, so the data set is left as
    it was found, sequences apart (and reminders the reconciler found stale, which the
    benchmark data sets do not have).
    """
    generated = {
        Reminder: Reminder.objects.filter(patient__clinic=clinic),
        StageChange: StageChange.objects.filter(assignment__clinic=clinic),
        Session: Session.objects.filter(assignment__clinic=clinic),
        Assignment: Assignment.objects.filter(clinic=clinic),
        Patient: Patient.objects.filter(clinic=clinic),
    }
    by_the_pass = [
        Reminder.objects.filter(claimed_at=now),
        StageChange.objects.filter(created_at__gte=since).exclude(kind="override"),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for queryset in [*by_the_pass, *generated.values()]:
            # One DELETE per table: the ORM's cascade would load every row first.
            table = connection.ops.quote_name(queryset.model._meta.db_table)
            subquery, params = queryset.values("pk").query.sql_with_params()
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({subquery})", params)
        clinic.delete()
    with connection.cursor() as cursor:
        for model in generated:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class Command(BaseCommand):
    help = (
        "Time one reminder dispatch pass over N generated active assignments, in this process "
        "(rolled back) and, with --celery, on a Celery worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--assignments", type=int, default=10_000)
        parser.add_argument("--sessions", type=int, default=2)
        parser.add_argument(
            "--claim", action="store_true", help="Also time the claim batches (rule + insert)."
        )
        parser.add_argument(
            "--celery",
            action="store_true",
            help="Also time the pass as production runs it: the dispatch task and its claim "
            "batches on a Celery worker with a Redis of its own (needs redis-server). "
            "Commits the generated patients and deletes them, and what the pass wrote, after.",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count(),
            help="Worker processes for --celery (default: CPUs, as `celery worker`).",
        )
        parser.add_argument(
            "--json", action="store_true", help="End with one line of JSON with the figures."
        )

    def handle(self, *args, assignments, sessions, claim, celery, processes, json, **options):
        now = timezone.now()
        figures = {"assignments": assignments}
        with transaction.atomic():
            started = time.perf_counter()
            assignments_generate(assignments, now=now, sessions=sessions)
            self.stdout.write(
                f"Generated {assignments} assignments in {time.perf_counter() - started:.1f} s."
            )
            figures["generate_seconds"] = round(time.perf_counter() - started, 1)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                reminders_reclaim_stale(now)
                candidates = due_candidates(now)
                batches = claim_batches(candidates)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Dispatch pass: {elapsed:.2f} s, {len(queries)} queries, "
                f"{len(candidates)} due, {len(batches)} claim batches."
            )
            figures |= {
                "dispatch_seconds": round(elapsed, 2),
                "dispatch_queries": len(queries),
                "due": len(candidates),
                "batches": len(batches),
            }

            if claim:
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    claimed = 0
                    for batch in batched(candidates, CLAIM_BATCH):
                        claimed += len(reminders_claim(batch, now))
                    elapsed = time.perf_counter() - started
                self.stdout.write(
                    f"Claim batches: {elapsed:.2f} s, {len(queries)} queries "
                    f"({len(queries) / max(len(batches), 1):.0f} per batch), {claimed} claimed."
                )
                figures |= {
                    "claim_seconds": round(elapsed, 2),
                    "claim_queries": len(queries),
                    "claimed": claimed,
                }
            transaction.set_rollback(True)
        if celery:
            self.stdout.write(f"Pass on a Celery worker with {processes} processes...")
            measured = celery_pass_measure(assignments, sessions=sessions, processes=processes)
            self.stdout.write(
                "Pass on a Celery worker: {celery_pass_seconds:.2f} s until the last of "
                "{celery_batches} claim tasks was done (the dispatch task: "
                "{celery_due_seconds:.2f} s, {celery_due} due; a claim task: "
                "{celery_claim_task_seconds:.2f} s on average, its batch committed and its "
                "sends enqueued).".format(**measured)
            )
            figures |= measured
        if json:
            self.stdout.write(json_dumps(figures))
