"""Check, or provide, what the test suite and the benchmark need on this machine.

    python scripts/check_services.py
        Say whether PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) answer; stop with a way
        out if not.
    python scripts/check_services.py [--browser] COMMAND...
        Run the command (the suite, the benchmark) with what it needs:

- PostgreSQL at DATABASE_URL and Redis at REDIS_URL. When one does not answer, a private
  server is started from the installed binaries, its files in var/, on a free port of
  127.0.0.1, and the command gets its URL; it is stopped when the command ends (the
  PostgreSQL data directory is kept for the next run).
- With --browser, Debian's Chromium at /usr/bin/chromium, for the browser tests: installed
  with apt-get when missing and run as root.
- redis-server on the PATH, for the tests that start Redis servers of their own.
- The PDF handout's Debian packages: Pango and HarfBuzz for WeasyPrint, a font, and
  poppler-utils (pdftotext, pdftoppm) for its tests: installed with apt-get when missing
  and run as root.
- Debian's gettext (msgfmt), which compiles the German and Spanish catalogs (locale/) that
  the suite reads: installed with apt-get when missing and run as root, then compiled.

When something cannot be had, it stops before the command, with the command to run.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
CHROMIUM = Path("/usr/bin/chromium")
# What WeasyPrint loads (the handout), a font for it, and the handout tests' PDF readers; the
# Dockerfile installs the same libraries and font.
PDF_PACKAGES = (
    "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils"
)
APT_INSTALL = "apt-get install -y -o DPkg::Lock::Timeout=600"
START_TIMEOUT = 120  # seconds; a busy machine starts slowly


class Unavailable(Exception):
    """What is missing, and the command that provides it."""


HOW = (
    "Start it with `docker compose up -d db redis`, or the system service "
    "(PostgreSQL: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`; "
    "Redis: `redis-server --daemonize yes`), or point {var} at a running server."
)


def main(arguments: list[str]) -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not arguments:
        return check(database_url, redis_url)
    browser = arguments[0] == "--browser"
    command = arguments[1:] if browser else arguments
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    started: list[PrivatePostgres | PrivateRedis] = []
    try:
        if browser:
            chromium_ensure()
        pdf_packages_ensure()
        redis_server_ensure()
        catalogs_compile()
        if not postgres_answers(database_url, tell=True):
            server = PrivatePostgres()
            started.append(server)
            database_url = server.start(database_url)
        if not redis_answers(redis_url, tell=True):
            server = PrivateRedis()
            started.append(server)
            redis_url = server.start(redis_url)
    except Unavailable as problem:
        for server in reversed(started):
            server.stop()
        print(f"check_services: {problem}", file=sys.stderr)
        return 2
    env = os.environ | {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    try:
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        for server in reversed(started):
            server.stop()


def check(database_url: str, redis_url: str) -> int:
    problems = []
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append(f"DATABASE_URL must point at PostgreSQL, not {database_url!r}.")
    else:
        dsn = url_with(database_url, path="/postgres")
        try:
            psycopg.connect(dsn, connect_timeout=5).close()
        except psycopg.Error as error:
            problems.append(f"PostgreSQL at {dsn} is unreachable: {error}".strip())
            problems.append(HOW.format(var="DATABASE_URL"))
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as error:
        problems.append(f"Redis at {redis_url} is unreachable: {error}")
        problems.append(HOW.format(var="REDIS_URL"))
    if problems:
        print("The tests need the real PostgreSQL and Redis:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 2
    return 0


def say(message: str) -> None:
    print(f"check_services: {message}", file=sys.stderr, flush=True)


def chromium_ensure() -> None:
    if CHROMIUM.exists():
        return
    command = f"apt-get update && {APT_INSTALL} chromium"
    if os.geteuid() != 0:
        raise Unavailable(f"The browser tests need Debian's Chromium. Run: sudo sh -c '{command}'")
    say(f"Chromium is missing; installing it: {command}")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    installed = subprocess.run(["sh", "-c", f"{command} >/dev/null"], env=env)
    if installed.returncode != 0 or not CHROMIUM.exists():
        raise Unavailable(f"Installing Chromium failed. Run: {command}")


def pdf_packages_ensure() -> None:
    present = (
        ctypes.util.find_library("pango-1.0")
        and ctypes.util.find_library("pangoft2-1.0")
        and ctypes.util.find_library("harfbuzz-subset")
        and shutil.which("pdftotext")
        and shutil.which("pdftoppm")
    )
    if present:
        return
    command = f"apt-get update && {APT_INSTALL} {PDF_PACKAGES}"
    if os.geteuid() != 0:
        raise Unavailable(f"The PDF handout needs Debian packages. Run: sudo sh -c '{command}'")
    say(f"The PDF handout's packages are missing; installing them: {command}")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["sh", "-c", f"{command} >/dev/null"], env=env).returncode != 0:
        raise Unavailable(f"Installing the PDF handout's packages failed. Run: {command}")


def catalogs_compile() -> None:
    """Compile locale/*/django.po with gettext's msgfmt (installed first when missing)."""
    if shutil.which("msgfmt") is None:
        command = f"apt-get update && {APT_INSTALL} gettext"
        if os.geteuid() != 0:
            raise Unavailable(
                f"The translations need Debian's gettext. Run: sudo sh -c '{command}'"
            )
        say(f"gettext is missing; installing it: {command}")
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        installed = subprocess.run(["sh", "-c", f"{command} >/dev/null"], env=env)
        if installed.returncode != 0 or shutil.which("msgfmt") is None:
            raise Unavailable(f"Installing gettext failed. Run: {command}")
    compiled = subprocess.run(
        [sys.executable, "manage.py", "compilemessages", "--ignore=.venv", "--ignore=var", "-v0"],
        cwd=ROOT,
    )
    if compiled.returncode != 0:
        raise Unavailable("Compiling the catalogs in locale/ failed (see above).")


def redis_server_ensure() -> None:
    if shutil.which("redis-server") is None:
        raise Unavailable(
            "The tests need redis-server on the PATH. Run: sudo apt-get install -y redis-server"
        )


def postgres_answers(url: str, *, tell: bool = False) -> bool:
    if not url.startswith(("postgres://", "postgresql://")):
        raise Unavailable(f"DATABASE_URL must point at PostgreSQL, not {url!r}.")
    # The maintenance database: the command creates its own.
    try:
        psycopg.connect(url_with(url, path="/postgres"), connect_timeout=5).close()
    except psycopg.Error as error:
        if tell:
            say(f"no PostgreSQL answers at {url}: {str(error).strip()}")
        return False
    return True


def redis_answers(url: str, *, tell: bool = False) -> bool:
    if not url.startswith("redis://"):
        raise Unavailable(f"REDIS_URL must point at Redis, not {url!r}.")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        if tell:
            say(f"no Redis answers at {url}: {error}")
        return False
    return True


def url_with(url: str, *, netloc: str | None = None, path: str | None = None) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(
            netloc=parts.netloc if netloc is None else netloc,
            path=parts.path if path is None else path,
        )
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(answers, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not answers():
        if time.monotonic() > deadline:
            raise Unavailable(f"{what} did not answer within {START_TIMEOUT} s.")
        time.sleep(0.2)


class PrivatePostgres:
    """A PostgreSQL cluster in var/postgres, trusting local connections, for tests only."""

    INSTALL = f"sudo {APT_INSTALL} postgresql"

    def __init__(self) -> None:
        self.dir = VAR / "postgres"
        self.data = self.dir / "data"
        self.bin = self.binaries()
        # PostgreSQL refuses to run as root: as root, run it as the postgres user.
        self.as_user = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable(
                    "PostgreSQL does not run as root and there is no postgres user. "
                    f"Run: {self.INSTALL}, or point DATABASE_URL at a running server."
                ) from None
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.running = False

    def binaries(self) -> Path:
        found = shutil.which("pg_ctl")
        if found:
            return Path(found).resolve().parent
        # Debian keeps them out of the PATH, one directory per major version.
        for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
            if (Path(directory) / "pg_ctl").exists():
                return Path(directory)
        raise Unavailable(
            "No PostgreSQL answers at DATABASE_URL and none is installed to start. "
            f"Run: {self.INSTALL}, or `docker compose up -d db redis`."
        )

    def run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if done.returncode != 0:
            raise Unavailable(
                f"`{' '.join(args)}` failed:\n{done.stdout.strip()}\n"
                "Point DATABASE_URL at a running PostgreSQL instead."
            )

    def start(self, url: str) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            say(f"creating a PostgreSQL cluster in {self.data}")
            self.run(
                str(self.bin / "initdb"),
                "--pgdata", str(self.data),
                "--username", "postgres",
                "--auth", "trust",
                "--encoding", "UTF8",
                "--no-instructions",
            )  # fmt: skip
        # One left running by a run that was killed: its port is unknown, stop it.
        status = [str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "status"]
        if subprocess.run([*self.as_user, *status], stdout=subprocess.DEVNULL).returncode == 0:
            self.running = True
            self.stop()
        port = free_port()
        # Throwaway test data: no need to survive a power cut.
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.run(
            str(self.bin / "pg_ctl"),
            "--pgdata", str(self.data),
            "--log", str(self.dir / "server.log"),
            "--options", options,
            "--wait", "--timeout", str(START_TIMEOUT),
            "start",
        )  # fmt: skip
        self.running = True
        private = url_with(url, netloc=f"postgres@127.0.0.1:{port}")
        wait_until(lambda: postgres_answers(private), "The private PostgreSQL")
        say(f"started a private PostgreSQL: {private} (log: {self.dir / 'server.log'})")
        return private

    def stop(self) -> None:
        if self.running:
            stop = [str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "--mode", "fast", "stop"]
            subprocess.run([*self.as_user, *stop], stdout=subprocess.DEVNULL)
            self.running = False


class PrivateRedis:
    """A redis-server without persistence, its working directory in var/redis."""

    def __init__(self) -> None:
        self.dir = VAR / "redis"
        self.process: subprocess.Popen | None = None

    def start(self, url: str) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.dir),
                "--logfile", str(self.dir / "server.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the command, not the server
        )  # fmt: skip
        private = url_with(url, netloc=f"127.0.0.1:{port}")
        wait_until(lambda: redis_answers(private), "The private Redis")
        say(f"started a private Redis: {private}")
        return private

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
            self.process = None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
