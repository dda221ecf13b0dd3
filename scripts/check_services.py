"""Stop `make test` at once, with a way out, when PostgreSQL or Redis is not reachable."""

import os
import sys

import psycopg
import redis

DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ["REDIS_URL"]
HOW = (
    "Start it with `docker compose up -d db redis`, or the system service "
    "(PostgreSQL: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`; "
    "Redis: `redis-server --daemonize yes`), or point {var} at a running server."
)

problems = []
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    problems.append(f"DATABASE_URL must point at PostgreSQL for the tests, not {DATABASE_URL!r}.")
else:
    # Connect to the maintenance database: the test database is created by the tests.
    dsn = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as error:
        problems.append(f"PostgreSQL at {dsn} is unreachable: {error}".strip())
        problems.append(HOW.format(var="DATABASE_URL"))
try:
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
except redis.RedisError as error:
    problems.append(f"Redis at {REDIS_URL} is unreachable: {error}")
    problems.append(HOW.format(var="REDIS_URL"))

if problems:
    print("make test needs the real PostgreSQL and Redis:", file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    sys.exit(2)
