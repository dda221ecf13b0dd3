"""The real parts for the reminder tests: our own Redis, an SMTP server on loopback, workers.

Each test run starts its own redis-server on a free port (so restarting it disturbs no one
else), an aiosmtpd server whose behaviour a test can change (fail, hold a message), and
Celery workers either in a thread or as a subprocess that can be killed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from celery.worker import state as worker_state
from celery.worker.request import Request
from django.utils import timezone

from patients import tasks
from patients.models import Reminder, ReminderStatus

ROOT = Path(__file__).resolve().parents[3]
PATIENTS = 12  # due at once in each real-parts test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 120, what: object = "condition"):
    """Poll the condition until it holds; the deadline is generous, for a busy machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}.")


def steadily(condition: Callable[[], bool], *, seconds: float) -> Callable[[], bool]:
    """A wait_for predicate: true once the condition has held for that long without a break."""
    since: list[float | None] = [None]

    def steady() -> bool:
        if not condition():
            since[0] = None
            return False
        since[0] = since[0] or time.monotonic()
        return time.monotonic() - since[0] >= seconds

    return steady


def worker_holds_a_task(worker) -> bool:
    """Whether a worker in this process has a task received and not yet done.

    Received means reserved (waiting for the pool or running) or, with a countdown,
    waiting in the worker's timer, where the broker only sees it as unacknowledged.
    """
    if worker_state.reserved_requests:
        return True
    return any(
        isinstance(argument, Request)
        for _, _, entry in worker.consumer.timer.queue
        if not entry.canceled
        for argument in entry.args
    )


class RedisServer:
    """A throwaway redis-server without persistence: a restart loses every queued task."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="flexion-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        wait_for(lambda: self._pings(client), 10, "redis-server to start")

    @staticmethod
    def _pings(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def queued(self, queue: str = "celery") -> int:
        return redis.Redis(port=self.port).llen(queue)

    def unacknowledged(self) -> set[bytes]:
        """The delivery tags of the tasks a worker took and has not acknowledged."""
        return set(redis.Redis(port=self.port).hkeys("unacked"))

    def idle(self, *, worker=None, dead: set[bytes] = frozenset()) -> bool:
        """Whether no task is queued or in flight (but those a dead worker had taken)."""
        if self.queued() or self.unacknowledged() - dead:
            return False
        return worker is None or not worker_holds_a_task(worker)

    def idle_wait(self, *, worker=None, dead: set[bytes] = frozenset()) -> None:
        """Return once no task is queued or in flight, steadily: none can still come."""
        # Steadily: a task the worker has popped from the queue shows nowhere for an instant.
        wait_for(
            steadily(lambda: self.idle(worker=worker, dead=dead), seconds=0.5),
            what="no task queued or in flight",
        )

    def flush(self) -> None:
        redis.Redis(port=self.port).flushdb()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Inbox:
    """An aiosmtpd handler that keeps what it accepted and can be told to misbehave."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()
        self.fail_next = 0  # answer this many DATA commands with a temporary failure
        self.hold: threading.Event | None = None  # when set, DATA waits until the event is set
        self.holding = threading.Event()
        self.on_data: Callable[[], None] | None = None
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_data)
        if self.hold is not None:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
            self.refused += 1
            return "451 4.3.0 The sender went away"
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(message["To"] for message in self.messages)


class SMTPServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


class WorkerProcess:
    """`celery -A flexion worker` as a subprocess in its own process group, so it can be killed."""

    def __init__(self, *, database_url: str, broker_url: str, smtp_port: int) -> None:
        self.env = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
            "REMINDER_RETRY_BACKOFF": "1",
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "flexion", "worker",
                "--pool", "prefork", "--concurrency", "1", "--loglevel", "WARNING",
                "--without-mingle", "--without-gossip", "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no shutdown, no acknowledgement.

        Return once none of them lives, so none can still write to the database.
        """
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            group = self.process.pid
            wait_for(lambda: not process_group_lives(group), what="the worker's processes to die")


def process_group_lives(group: int) -> bool:
    """Whether a process of this group still runs (zombies, already dead, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command's closing parenthesis: state, parent, process group, ...
            state, _, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            process_group = int(process_group)
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
        if process_group == group and state not in ("Z", "X"):
            return True
    return False


def beat_pass(now=None):
    """What one beat tick does: the dispatch task, run here, enqueueing to the real broker."""
    return tasks.reminders_dispatch((now or timezone.now()).isoformat())


class AllSent:
    """Whether every due reminder is sent; says where they stand when it is not."""

    def __call__(self):
        return (
            Reminder.objects.count() == PATIENTS
            and not Reminder.objects.exclude(status=ReminderStatus.SENT).exists()
        )

    def __str__(self):
        rows = Reminder.objects.values_list("status", "attempts", "last_error")
        return f"all reminders sent; now {sorted(rows)}"


all_sent = AllSent()


def assert_each_patient_got_exactly_one(inbox, due_patients):
    assert inbox.recipients() == due_patients
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == len(due_patients)
    message_ids = [message["Message-ID"] for message in inbox.messages]
    assert len(set(message_ids)) == len(due_patients)
