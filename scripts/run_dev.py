"""Run the web server and a Celery worker with beat together; Ctrl-C stops all of them.

Used by `make run`. Each child runs in its own process group so that stopping it
also stops what it started (runserver's autoreloader child, Celery's pool).
"""

import contextlib
import os
import signal
import subprocess
import sys

# `make run` is the embedded set-up: SQLite and the filesystem broker.
ENV = {
    key: value
    for key, value in os.environ.items()
    if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
}
COMMANDS = [
    [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "flexion",
        "worker",
        "-B",
        "--loglevel=INFO",
        "--concurrency=2",
    ],
    [sys.executable, "manage.py", "runserver", "127.0.0.1:8000"],
]


def main() -> int:
    children = [subprocess.Popen(command, env=ENV, start_new_session=True) for command in COMMANDS]

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        os.wait()  # returns when any child ends; the others are stopped below
    except KeyboardInterrupt:
        pass
    finally:
        # The leaders first, for a clean shutdown (Celery finishes its tasks)...
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=15)
            # ...then whatever they left behind (runserver's autoreloader child).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
