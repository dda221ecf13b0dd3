"""One shape for every error the API returns.

``{"status": 404, "code": "not_found", "detail": "Not found.", "fields": {}}``;
``fields`` holds the messages per input field of a rejected request.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.JSONField(), help_text="Messages per input field."
    )


def validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """Django's ValidationError (from models and domain code) as the API's 400."""
    detail = serializers.as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    # Domain code raises Django's ValidationError; it is the client's input that failed.
    if isinstance(exc, DjangoValidationError):
        exc = validation_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        data = response.data
        if isinstance(data, dict):
            fields = dict(data)
            general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, None)
        else:
            general = data
        detail = " ".join(str(message) for message in general) if general else _("Invalid input.")
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
    response.data = {
        "status": response.status_code,
        "code": code if isinstance(code, str) else "error",
        "detail": detail,
        "fields": fields,
    }
    return response
