"""``Idempotency-Key`` on API creates: the same key replays the first answer, never a second row.

A client that retries a create (a timeout, a double tap, a flaky network) sends the same
key; the first request's row in ``IdempotencyKey`` is inserted in the transaction that
creates, so a concurrent request with that key waits on the unique index until the first
commits, then answers what the first answered. A first request that failed leaves no row:
its retry runs afresh. The same key with a different request is refused (422).
"""

from __future__ import annotations

import datetime
import functools
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from clinic.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEPT_FOR = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for a different request."
    default_code = "idempotency_key_reused"


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.body or b""):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(row: IdempotencyKey, request_hash: str) -> Response:
    if row.request_hash != request_hash:
        raise KeyReused()
    response = Response(row.response, status=row.status_code)
    response[f"{HEADER}-Replayed"] = "true"
    return response


def idempotent(handler):
    """Wrap a create handler: with an ``Idempotency-Key`` header, run it at most once per key."""

    @functools.wraps(handler)
    def wrapped(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {HEADER: [f"Send 1 to {MAX_KEY_LENGTH} characters, unique per request."]}
            )
        request_hash = _request_hash(request)
        mine = IdempotencyKey.objects.filter(user=request.user)
        mine.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user=request.user, key=key, request_hash=request_hash
                    )
            except IntegrityError:
                # Another request with this key committed first (the insert waited for it).
                return _replay(mine.get(key=key), request_hash)
            response = handler(request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                row.status_code, row.response = response.status_code, response.data
                row.save(update_fields=["status_code", "response"])
            else:
                row.delete()  # nothing was created: a retry runs afresh
            return response

    return wrapped
