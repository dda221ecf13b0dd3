"""Which broker the Celery app of the test process publishes to, and under which keys."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

import kombu.pools
import redis
from django.conf import settings

from flexion.celery import app


def broker_use(url: str, transport_options: dict) -> None:
    """Point the Celery app (and its cached connection pools) at a broker."""
    # Settings read with the CELERY_ namespace win over the plain keys: set those.
    app.conf.CELERY_BROKER_URL = url
    app.conf.CELERY_BROKER_TRANSPORT_OPTIONS = transport_options
    # Close the connections to the previous broker and forget their pools: kombu keeps the
    # pools of each broker in a registry of its own, and would hand a closed one out again
    # when the app switches back ("Acquire on closed pool").
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_used(url: str):
    """Publish to this broker (a Redis of the test's own) as a worker started on it reads it."""
    previous = app.conf.CELERY_BROKER_URL, app.conf.CELERY_BROKER_TRANSPORT_OPTIONS
    broker_use(url, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    try:
        yield
    finally:
        broker_use(*previous)


@contextmanager
def keyspace_of_this_run():
    """Prefix every key this run writes to the configured Redis; delete them at the end.

    Two runs on one Redis (the lead's and CI's, or two worktrees) never see each other's
    queued tasks, and a purge purges only this run's queue.
    """
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        yield None
        return
    prefix = f"flexion-test-{os.getpid()}-{secrets.token_hex(4)}:"
    broker_use(url, {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": prefix})
    try:
        yield prefix
    finally:
        broker_use(url, settings.CELERY_BROKER_TRANSPORT_OPTIONS)
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
