"""The adherence report of ``reports``: JSON, or CSV by content negotiation."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, renderers, serializers
from rest_framework.settings import api_settings

from clinic.models import Clinic
from clinic.tenancy import staff_clinic_id
from patients.models import AssignmentStatus
from reports import adherence, exports, services
from reports.forms import ReportFilterForm
from reports.models import AdherenceReport, ExportFormat, ExportRows


class CSVRenderer(renderers.BaseRenderer):
    """Only announces text/csv for negotiation: the CSV itself is streamed by the view."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("The report streams its CSV itself.")


class AdherenceQuerySerializer(serializers.Serializer):
    """The report's filters, for the schema; ``ReportFilterForm`` validates them."""

    start = serializers.DateField(required=False, help_text="Default: 12 weeks before today.")
    end = serializers.DateField(required=False, help_text="Default: today (the clinic's).")
    therapist = serializers.IntegerField(required=False, help_text="A staff member's id.")
    program = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)
    rows = serializers.ChoiceField(
        choices=ExportRows.choices,
        required=False,
        help_text="CSV only: one row per patient (default) or per patient-week.",
    )


class PatientRowSerializer(serializers.Serializer):
    assignment_id = serializers.IntegerField()
    patient_id = serializers.IntegerField()
    patient = serializers.CharField()
    program = serializers.CharField()
    status = serializers.CharField()
    therapist = serializers.CharField()
    planned = serializers.IntegerField()
    completed = serializers.IntegerField()
    counted = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True, help_text="Percent of planned, or null.")
    stage = serializers.CharField()
    current_planned = serializers.IntegerField(allow_null=True)
    current_completed = serializers.IntegerField(allow_null=True)
    streak = serializers.IntegerField()
    last_session = serializers.DateField(allow_null=True)
    mean_pain = serializers.FloatField(allow_null=True)
    checkin_flags = serializers.IntegerField()
    stage_changes = serializers.IntegerField()


class AdherenceReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    planned = serializers.IntegerField(help_text="Σ planned over the weeks ended in the range.")
    counted = serializers.IntegerField(help_text="Σ min(completed, planned) over those weeks.")
    adherence = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField(help_text="Rows in the whole report.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PatientRowSerializer(many=True)


class AdherenceReportView(generics.GenericAPIView):
    """Adherence per patient over a date range, for the clinic's staff.

    JSON (paged, with the totals of the whole report), or the whole report as a
    streamed CSV with ``Accept: text/csv``; each CSV export is recorded.
    """

    queryset = AdherenceReport.objects.none()
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    filter_backends = []

    def handle_exception(self, exc):
        # Errors are always JSON, even when the client asked for CSV.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[AdherenceQuerySerializer],
        responses={
            (200, "application/json"): AdherenceReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request):
        clinic = Clinic.objects.filter(pk=staff_clinic_id(request.user)).first()
        today = adherence.clinic_today(clinic.timezone if clinic else None)
        form = ReportFilterForm(request.query_params, user=request.user, today=today)
        if not form.is_valid():
            errors = form.errors.get_json_data()
            raise exceptions.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name: [
                        error["message"] for error in messages
                    ]
                    for name, messages in errors.items()
                }
            )
        scope = form.scope()
        if request.accepted_renderer.format == CSVRenderer.format:
            return self.csv(form, scope, clinic)
        ids = adherence.report_assignment_ids(scope)
        page = self.paginate_queryset(ids)
        rows = adherence.patient_rows(scope.only(page)) if page else []
        points = adherence.weekly_adherence(scope)
        planned = sum(point.planned for point in points)
        counted = sum(point.counted for point in points)
        response = self.get_paginated_response(PatientRowSerializer(rows, many=True).data)
        response.data = {
            "start": scope.start,
            "end": scope.end,
            "planned": planned,
            "counted": counted,
            "adherence": round(100 * counted / planned, 1) if planned else None,
            **response.data,
        }
        return response

    def csv(self, form, scope, clinic):
        rows = form.cleaned_data.get("rows") or ExportRows.PATIENT
        services.export_record(
            scope=scope,
            clinic=clinic,
            by=self.request.user,
            format=ExportFormat.CSV,
            rows=rows,
            filters=form.filters(),
            via="api",
            request=self.request,
        )
        response = StreamingHttpResponse(
            exports.csv_chunks(scope, rows), content_type="text/csv; charset=utf-8"
        )
        filename = f"adherence-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
