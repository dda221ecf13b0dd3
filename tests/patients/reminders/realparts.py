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
from django.utils import timezone

from patients import tasks
from patients.models import Reminder, ReminderStatus

ROOT = Path(__file__).resolve().parents[3]
PATIENTS = 12  # due at once in each real-parts test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}.")


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


def use_broker(app, url: str) -> None:
    """Point the Celery app (and its cached connection pools) at another broker."""
    # Settings read with the CELERY_ namespace win over the plain key: set that one.
    app.conf.CELERY_BROKER_URL = url
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


class WorkerProcess:
    """`celery -A clinic worker` as a subprocess in its own process group, so it can be killed."""

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
                sys.executable, "-m", "celery", "-A", "clinic", "worker",
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
        """SIGKILL the worker and its pool processes: no shutdown, no acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


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
