from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext_lazy as _

from clinic.scoped_admin import ReadOnlyScopedAdmin

from . import views
from .models import AdherenceReport, ExportFormat, ReportExport


@admin.register(AdherenceReport)
class AdherenceReportAdmin(ReadOnlyScopedAdmin):
    """The clinic's adherence report; its changelist is the report page.

    Its extra pages (exports, printable page, a patient's weeks, the needs-attention
    list) are admin views, so they share the admin's login and permission checks.
    """

    actions = ["export_csv", "export_xlsx"]

    def get_urls(self):
        def wrap(view):
            def wrapped(request, *args, **kwargs):
                if not self.has_view_permission(request):
                    raise PermissionDenied
                return view(request, self, *args, **kwargs)

            return self.admin_site.admin_view(wrapped)

        name = "reports_adherencereport"
        return [
            path("export/", wrap(views.report_export), name=f"{name}_export"),
            path("print/", wrap(views.report_print), name=f"{name}_print"),
            path("attention/", wrap(views.attention_list), name=f"{name}_attention"),
            path(
                "attention/<int:assignment_id>/review/",
                wrap(views.attention_review_view),
                name=f"{name}_review",
            ),
            path(
                "patient/<int:assignment_id>/",
                wrap(views.patient_report),
                name=f"{name}_patient",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "action" in request.POST:
            return super().changelist_view(request, extra_context)  # runs an export action
        if not self.has_view_permission(request):
            raise PermissionDenied
        return views.report_page(request, self)

    @admin.action(description=_("Export the selected patients' adherence as CSV"))
    def export_csv(self, request, queryset):
        return views.export_response(request, self, ExportFormat.CSV, assignments=queryset)

    @admin.action(description=_("Export the selected patients' adherence as XLSX"))
    def export_xlsx(self, request, queryset):
        return views.export_response(request, self, ExportFormat.XLSX, assignments=queryset)


@admin.register(ReportExport)
class ReportExportAdmin(ReadOnlyScopedAdmin):
    """The exports of adherence data: the export events of the audit trail, read-only."""

    list_display = ["at", "actor_repr", "via", "format", "rows", "start", "end", "ip"]
    search_fields = ["actor_repr"]
    date_hierarchy = "at"
    fields = ["at", "actor_repr", "via", "format", "rows", "start", "end", "filters", "ip"]
    readonly_fields = fields

    @admin.display(description=_("via"))
    def via(self, obj):
        return obj.via

    @admin.display(description=_("format"))
    def format(self, obj):
        return obj.get_format_display()

    @admin.display(description=_("rows"))
    def rows(self, obj):
        return obj.get_rows_display()

    @admin.display(description=_("from"))
    def start(self, obj):
        return obj.start

    @admin.display(description=_("to"))
    def end(self, obj):
        return obj.end

    @admin.display(description=_("filters"))
    def filters(self, obj):
        return obj.filters or "–"
