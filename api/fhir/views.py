"""The FHIR R4 REST interactions: read, search, Patient/$everything, the CapabilityStatement.

Read-only and JSON only (``application/fhir+json``). Authentication is the clinic's API
token (``Authorization: Bearer flx_…``) or a signed-in session; rows come from
``visible_to`` (``registry.Source.rows``), so another clinic's or another patient's id
answers 404 like a missing one. Every answer with patient data is in the audit trail.
Every error is an OperationOutcome with its HTTP status.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework import exceptions, permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from clinic.audit import audit_hidden_object, audit_record
from clinic.models import AuditAction
from clinic.tenancy import staff_clinic_id
from patients.models import Patient

from ..permissions import is_patient
from . import codes
from .capability import capability_statement
from .registry import REGISTRY, ResourceType, compact
from .search import (
    SearchError,
    count_of,
    date_range,
    filters_of,
    matching,
    offset_of,
    search_page,
)

FHIR_JSON = "application/fhir+json"
JSON_FORMATS = {"json", "application/json", FHIR_JSON, "application/json+fhir"}
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    429: "throttled",
}
EVERYTHING_PARAMS = {"_type", "_since", "_format"}


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


class FhirNegotiation(BaseContentNegotiation):
    """Always FHIR JSON; a client asking for XML only (``_format`` or Accept) gets 406."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        wanted = request.query_params.get("_format")
        accept = request.META.get("HTTP_ACCEPT", "")
        xml_only = "xml" in accept and "json" not in accept and "*/*" not in accept
        if (wanted is not None and wanted not in JSON_FORMATS) or xml_only:
            raise exceptions.NotAcceptable("This server answers in FHIR JSON only.")
        return renderer, renderer.media_type


def operation_outcome(status: int, message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": ISSUE_CODES.get(status, "exception"),
                "diagnostics": message,
            }
        ],
    }


def fhir_exception_handler(exc, context):
    if isinstance(exc, SearchError):
        exc = exceptions.ValidationError(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "No such resource.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
    if isinstance(detail, list):
        detail = " ".join(str(item) for item in detail)
    response.data = operation_outcome(response.status_code, str(detail))
    return response


class FhirPermission(permissions.BasePermission):
    """Staff of a clinic with the role's view permission on every table the type reads,
    or a patient (who only ever reaches their own rows)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        resource_type = getattr(view, "resource_type", None)
        if resource_type is None or is_patient(user):
            return True
        if not (user.is_superuser or staff_clinic_id(user) is not None):
            return False
        return all(user.has_perm(name) for name in resource_type.view_permissions())


class FhirView(APIView):
    renderer_classes = [FhirJSONRenderer]
    parser_classes = []
    content_negotiation_class = FhirNegotiation
    permission_classes = [FhirPermission]
    http_method_names = ["get", "head"]
    schema = None  # not part of the REST API's OpenAPI document
    resource_type: ResourceType | None = None

    def get_exception_handler(self):
        return fhir_exception_handler

    def initial(self, request, *args, **kwargs):
        name = kwargs.get("type_name", getattr(self, "type_name", None))
        if name is not None:
            self.resource_type = REGISTRY.get(name)
        super().initial(request, *args, **kwargs)
        if name is not None and self.resource_type is None:
            raise exceptions.NotFound(f"This server has no resource type {name[:40]!r}.")

    def base_url(self) -> str:
        return self.request.build_absolute_uri(reverse("fhir:base"))

    def bundle(self, resources: list[dict], *, total: int, links: list[dict]) -> dict:
        base = self.base_url()
        entries = [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ]
        return compact(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": total,
                "link": links,
                "entry": entries,
            }
        )


class MetadataView(FhirView):
    """The CapabilityStatement: what this server serves. Open to anyone (no data)."""

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response(capability_statement(self.base_url()))


class CodeSystemView(FhirView):
    """Flexion's own code system (its canonical URL is ``codes.FLEXION_SYSTEM``)."""

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response(codes.flexion_code_system())


class NotFoundView(FhirView):
    permission_classes = [permissions.AllowAny]

    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound(
            "Not a FHIR interaction of this server: see metadata for what it serves."
        )


class ReadView(FhirView):
    def get(self, request, type_name: str, resource_id: str):
        found = self.resource_type.find(resource_id)
        if found is None:
            raise exceptions.NotFound(f"No {type_name} {resource_id[:64]!r}.")
        source, pk = found
        row = source.loaded(source.rows(request.user).filter(pk=pk)).first()
        if row is None:
            audit_hidden_object(request, source.model, pk)
            raise exceptions.NotFound(f"No {type_name} {resource_id[:64]!r}.")
        resource = source.resource(row)
        audit_record(
            action=AuditAction.VIEW,
            request=request,
            obj=row,
            extra={"via": "fhir", "resource": f"{type_name}/{resource['id']}"},
        )
        return Response(resource)


class SearchView(FhirView):
    def get(self, request, type_name: str):
        params = request.query_params
        filters = filters_of(self.resource_type, params)
        count, offset = count_of(params), offset_of(params)
        page = search_page(self.resource_type, request.user, filters, offset=offset, count=count)
        resources = [source.resource(row) for source, row in page.rows]
        links = [{"relation": "self", "url": self.page_url(offset, count)}]
        if offset + count < page.total and count:
            links.append({"relation": "next", "url": self.page_url(offset + count, count)})
        if offset and count:
            links.append(
                {"relation": "previous", "url": self.page_url(max(offset - count, 0), count)}
            )
        audit_record(
            action=AuditAction.VIEW,
            request=request,
            patient_id=self.patient_of_search(),
            extra={
                "via": "fhir",
                "search": type_name,
                # The parameters' names, not their values.
                "params": sorted(name[:40] for name in params)[:20],
                "returned": len(resources),
            },
        )
        return Response(self.bundle(resources, total=page.total, links=links))

    def page_url(self, offset: int, count: int) -> str:
        query = self.request.query_params.copy()
        query["_offset"] = str(offset)
        query["_count"] = str(count)
        url = self.request.build_absolute_uri(self.request.path)
        return f"{url}?{urlencode(sorted(query.lists()), doseq=True)}"

    def patient_of_search(self) -> int | None:
        values = self.request.query_params.getlist("patient") + self.request.query_params.getlist(
            "subject"
        )
        ids = {value.rsplit("/", 1)[-1] for value in values}
        if len(ids) == 1:
            (only,) = ids
            return int(only) if only.isdigit() and len(only) < 19 else None
        return None


class EverythingView(FhirView):
    """``Patient/{id}/$everything``: the patient's whole record in Flexion, one Bundle.

    The patient, their clinic and therapists, the Questionnaires they answered, and every
    resource of theirs of each type the registry marks ``in_everything``. ``_type`` limits
    the types, ``_since`` to what changed since then. Recorded as an export of the patient's data.
    """

    type_name = "Patient"

    def get(self, request, resource_id: str):
        unknown = sorted(set(request.query_params) - EVERYTHING_PARAMS)
        if unknown:
            raise SearchError(
                f"Unknown parameter {unknown[0][:40]!r} for $everything; "
                f"supported: {', '.join(sorted(EVERYTHING_PARAMS))}."
            )
        types = self.types_wanted()
        since = [date_range(f"ge{value}") for value in request.query_params.getlist("_since")]
        found = self.resource_type.find(resource_id)
        patient = None
        if found is not None:
            patient = found[0].rows(request.user).filter(pk=found[1]).first()
        if patient is None:
            if found is not None:
                audit_hidden_object(request, Patient, found[1])
            raise exceptions.NotFound(f"No Patient {resource_id[:64]!r}.")
        resources = [source.resource(row) for source, row in self.rows_of(patient, types, since)]
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            obj=patient,
            extra={"via": "fhir", "operation": "$everything", "resources": len(resources)},
        )
        response = Response(
            self.bundle(
                resources,
                total=len(resources),
                links=[{"relation": "self", "url": request.build_absolute_uri()}],
            )
        )
        response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
        return response

    def types_wanted(self) -> set[str]:
        wanted = set()
        for value in self.request.query_params.getlist("_type"):
            wanted |= set(value.split(","))
        unknown = sorted(wanted - set(REGISTRY))
        if unknown:
            raise SearchError(f"Unknown resource type {unknown[0][:40]!r} in _type.")
        return wanted or set(REGISTRY)

    def rows_of(self, patient: Patient, types: set[str], since: list):
        user = self.request.user
        changed = Q()
        for moment in since:
            changed &= moment.q("_last_updated", dates=False)
        if "Patient" in types:
            yield from self.rows_where(REGISTRY["Patient"], Q(pk=patient.pk) & changed)
        if "Organization" in types:
            yield from self.rows_where(REGISTRY["Organization"], Q(pk=patient.clinic_id) & changed)
        if "Practitioner" in types:
            therapists = Q(pk=patient.therapist_id) | Q(assignments__patient=patient)
            yield from self.rows_where(
                REGISTRY["Practitioner"],
                Q(pk__in=_ids(REGISTRY["Practitioner"], user, therapists)) & changed,
            )
        if "Questionnaire" in types:
            answered = REGISTRY["QuestionnaireResponse"].sources[0].rows(user)
            yield from self.rows_where(
                REGISTRY["Questionnaire"],
                Q(pk__in=answered.filter(patient=patient).values("version_id")) & changed,
            )
        for name, resource_type in REGISTRY.items():
            if name in types and resource_type.in_everything and name != "Patient":
                for source in resource_type.sources:
                    yield from self.rows_where_source(
                        source, Q(**{source.patient: patient.pk}) & changed
                    )

    def rows_where(self, resource_type: ResourceType, where: Q):
        for source in resource_type.sources:
            yield from self.rows_where_source(source, where)

    def rows_where_source(self, source, where: Q):
        rows = source.loaded(matching(source, self.request.user, where))
        order = (source.date, "pk") if source.date else ("pk",)
        for row in rows.order_by(*order):
            yield source, row


def _ids(resource_type: ResourceType, user, where: Q):
    source = resource_type.sources[0]
    return source.rows(user).filter(where).values("pk")
