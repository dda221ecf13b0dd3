"""The API's request parsers, held to the limits Django puts on its own forms.

DRF reads a JSON or form body from the request's stream, outside Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE``: a 30 MB body was read whole, and a body of 100,000
"[" crashed the JSON parser. Here a body longer than that setting answers 413 before
it is read (or as soon as it passes the limit), and JSON nested deeper than
``MAX_JSON_DEPTH`` answers 400.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

from clinic.jsonlimits import json_nesting_exceeds

# Flexion's deepest request (a session's exercise logs) nests three levels.
MAX_JSON_DEPTH = 20


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def declared_length_check(parser_context) -> None:
    """Refuse a body whose Content-Length passes DATA_UPLOAD_MAX_MEMORY_SIZE, unread."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    request = (parser_context or {}).get("request")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        declared = 0
    if limit is not None and declared > limit:
        raise RequestTooLarge()


def bounded_body(stream, parser_context) -> bytes:
    """Return the request body, refusing one longer than DATA_UPLOAD_MAX_MEMORY_SIZE."""
    declared_length_check(parser_context)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise RequestTooLarge()
    return body


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = bounded_body(stream, parser_context)
        if json_nesting_exceeds(body.decode("utf-8", "replace"), MAX_JSON_DEPTH):
            raise exceptions.ParseError(
                _("JSON parse error - nested more than %(depth)d levels deep.")
                % {"depth": MAX_JSON_DEPTH}
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = bounded_body(stream, parser_context)
        return super().parse(io.BytesIO(body), media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    """Django's multipart parser holds each field to the setting; here the whole body too."""

    def parse(self, stream, media_type=None, parser_context=None):
        declared_length_check(parser_context)
        return super().parse(stream, media_type, parser_context)
