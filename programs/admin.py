"""The therapist's workplace: the exercise library and the program builder."""

from __future__ import annotations

from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Prefetch
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.models import Clinic
from clinic.scoped_admin import (
    ClinicScopedAdmin,
    InvalidFilterMixin,
    ScopedChoicesMixin,
    SuperuserOnlyMixin,
)
from clinic.tenancy import staff_clinic_id

from .adminforms import (
    ContentLanguagesFormMixin,
    ExerciseForm,
    ExercisePictureForm,
    KnownLabelsAutocompleteMixin,
    KnownLabelsFormSetMixin,
    ProgramForm,
    WideChangeFormMixin,
    translation_fields,
    translation_fieldsets,
)
from .display import dosage_text
from .importexport import (
    ImportRejected,
    exercises_export,
    exercises_import,
    file_size_check,
    rows_from_bytes,
)
from .models import (
    BodyRegion,
    Equipment,
    Exercise,
    ExercisePicture,
    ExerciseVariation,
    Program,
    ProgramItem,
    ProgramQuestionnaire,
    ProgressionScheme,
    Questionnaire,
    SchemeStage,
    content_languages,
)
from .outcomes import DefinitionError, definition_parse
from .services import exercise_copy_to_clinic, program_copy, questionnaire_version_save

NARROW_NUMBER = forms.NumberInput(attrs={"class": "flexion-narrow", "min": 0})
ADMIN_CSS = {"all": ["programs/admin.css"]}


class LibraryFilter(admin.SimpleListFilter):
    """Shared starter library or the clinic's own rows."""

    title = _("library")
    parameter_name = "library"

    def lookups(self, request, model_admin):
        return [("own", _("Our clinic")), ("shared", _("Shared library"))]

    def queryset(self, request, queryset):
        if self.value() == "own":
            return queryset.filter(clinic__isnull=False)
        if self.value() == "shared":
            return queryset.filter(clinic__isnull=True)
        return queryset


class MissingTranslationFilter(admin.SimpleListFilter):
    """Rows with a text written in the default language but not in the language chosen."""

    title = _("missing translation")
    parameter_name = "missing_translation"

    def lookups(self, request, model_admin):
        return [
            (code, name) for code, name in settings.LANGUAGES if code in content_languages()[1:]
        ]

    def queryset(self, request, queryset):
        code = self.value()
        if code not in content_languages()[1:]:
            return queryset
        default = settings.LANGUAGE_CODE
        missing = models.Q()
        for name in queryset.model.TRANSLATED_FIELDS:
            empty = [None, [] if name == "steps" else ""]
            written = ~models.Q(**{f"{name}_{default}__isnull": True}) & ~models.Q(
                **{f"{name}_{default}": empty[1]}
            )
            absent = models.Q(**{f"{name}_{code}__isnull": True}) | models.Q(
                **{f"{name}_{code}": empty[1]}
            )
            missing |= written & absent
        return queryset.filter(missing)


@admin.display(description=_("missing translations"))
def missing_translations(obj) -> str:
    return ", ".join(obj.missing_translations) or "—"


def library_label(obj) -> str:
    return _("Shared") if obj.clinic_id is None else _("Our clinic")


def user_clinic(request) -> Clinic | None:
    clinic_id = staff_clinic_id(request.user)
    return Clinic.objects.get(pk=clinic_id) if clinic_id is not None else None


class LibraryAdmin(ClinicScopedAdmin):
    """Common ground of the exercise and program admins."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The clinic is set on save, not in the form: tell the name check which it will be.
        form.clinic_id = staff_clinic_id(request.user)
        return form

    @admin.display(description=_("library"), ordering="clinic")
    def library(self, obj):
        css = "shared" if obj.clinic_id is None else "own"
        return format_html('<span class="flexion-badge {}">{}</span>', css, library_label(obj))

    def _require_clinic(self, request) -> Clinic | None:
        clinic = user_clinic(request)
        if clinic is None:
            self.message_user(
                request, _("Only staff of a clinic can copy into a clinic."), messages.ERROR
            )
        return clinic


# Exercises -------------------------------------------------------------------------------------


class VariationFormSet(KnownLabelsFormSetMixin, forms.BaseInlineFormSet):
    pass


class ExerciseVariationInline(
    KnownLabelsAutocompleteMixin, ScopedChoicesMixin, admin.TabularInline
):
    model = ExerciseVariation
    fk_name = "exercise"
    formset = VariationFormSet
    fields = ["direction", "variation", "order", "note"]
    autocomplete_fields = ["variation"]
    extra = 0
    verbose_name = _("easier or harder variation")
    verbose_name_plural = _("easier and harder variations")
    formfield_overrides = {models.PositiveSmallIntegerField: {"widget": NARROW_NUMBER}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("exercise", "variation")


class ExercisePictureInline(admin.TabularInline):
    model = ExercisePicture
    form = ExercisePictureForm
    fields = ["preview", "upload", "alt_text", *translation_fields(ExercisePicture), "order"]
    readonly_fields = ["preview"]
    extra = 0
    max_num = 8
    verbose_name = _("picture (a position or a step)")
    verbose_name_plural = _("pictures, in order (start and end position, or the steps)")
    formfield_overrides = {models.PositiveSmallIntegerField: {"widget": NARROW_NUMBER}}

    @admin.display(description=_("preview"))
    def preview(self, picture):
        if not picture.pk:
            return "–"
        return format_html(
            '<img src="{}" alt="{}" width="120" class="flexion-picture-thumb">',
            reverse("patients:picture", args=[picture.pk, "thumb"]),
            picture.alt_text,
        )


class ExerciseImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or JSON file"),
        help_text=_(
            "The columns of an export. Rows whose key your clinic already uses update that "
            "exercise; others are added. One bad row and nothing is imported."
        ),
    )


@admin.register(Exercise)
class ExerciseAdmin(LibraryAdmin):
    form = ExerciseForm
    change_list_template = "admin/programs/exercise/change_list.html"
    change_form_template = "admin/programs/exercise/change_form.html"
    list_display = [
        "name",
        "category",
        "regions",
        "default_dosage",
        "has_video",
        "library",
        missing_translations,
    ]
    list_filter = [
        LibraryFilter,
        MissingTranslationFilter,
        "category",
        "body_regions",
        "equipment",
        "starting_position",
    ]
    search_fields = ["name", "summary", "key"]
    list_per_page = 50
    readonly_fields = ["patient_preview", "copied_from_link"]
    prepopulated_fields = {"key": ["name"]}
    inlines = [ExercisePictureInline, ExerciseVariationInline]
    actions = ["copy_to_my_clinic", "export_csv", "export_json"]
    formfield_overrides = {models.PositiveSmallIntegerField: {"widget": NARROW_NUMBER}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("name", "key"),
                    ("category", "starting_position"),
                    "body_regions",
                    "equipment",
                    "summary",
                ]
            },
        ),
        (
            _("How to do it"),
            {"fields": ["steps", "cues", "cautions", "stop_rule"]},
        ),
        (
            _("Default dosage"),
            {
                "fields": [
                    ("sets", "reps", "side"),
                    ("hold_seconds", "hold_seconds_max", "rest_seconds"),
                    ("contraction_seconds", "contraction_seconds_max"),
                    "intensity",
                ],
                "description": _(
                    "What a program uses unless it overrides it. Hold and contraction: "
                    "a single value, or a range with “up to”."
                ),
            },
        ),
        (_("Video and source"), {"fields": ["video_url", "source", "copied_from_link"]}),
        *translation_fieldsets(Exercise),
        (_("As the patient sees it"), {"fields": ["patient_preview"]}),
    ]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("body_regions", "equipment")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only (shared) exercises show their steps numbered, not as the stored list.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "numbered_steps" if field == "steps" else field
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description=_("steps"))
    def numbered_steps(self, obj):
        return format_html(
            '<ol class="flexion-steps">{}</ol>',
            format_html_join("", "<li>{}</li>", ((step,) for step in obj.steps)),
        )

    @admin.display(description=_("body regions"))
    def regions(self, obj):
        return ", ".join(region.name for region in obj.body_regions.all())

    @admin.display(description=_("default dosage"))
    def default_dosage(self, obj):
        return dosage_text(obj.dosage())

    @admin.display(description=_("video"), ordering="video_provider", empty_value="")
    def has_video(self, obj):
        return f"▶ {obj.get_video_provider_display()}" if obj.video_id else ""

    @admin.display(description=_("video link"))
    def video_url(self, obj):
        video = obj.video
        return format_html('<a href="{0}">{0}</a>', video.watch_url()) if video else "–"

    @admin.display(description=_("copied from"))
    def copied_from_link(self, obj):
        if obj is None or obj.copied_from_id is None:
            return "–"
        return obj.copied_from.name

    @admin.display(description=_("patient preview"))
    def patient_preview(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the exercise to see it as the patient will.")
        return render_to_string(
            "admin/programs/exercise_card.html",
            {"exercise": obj, "dosage": dosage_text(obj.dosage()), "video": obj.video},
        )

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="programs_exercise_import",
            ),
            path(
                "<path:object_id>/copy/",
                self.admin_site.admin_view(self.copy_view),
                name="programs_exercise_copy",
            ),
            *super().get_urls(),
        ]

    def copy_view(self, request, object_id):
        """Copy one shared exercise into the user's clinic and open the copy."""
        exercise = get_object_or_404(self.get_queryset(request), pk=object_id, clinic=None)
        clinic = user_clinic(request)
        if request.method != "POST" or clinic is None or not self.has_add_permission(request):
            raise PermissionDenied
        copy, created = exercise_copy_to_clinic(exercise=exercise, clinic=clinic)
        message = (
            _("Copied to your clinic: you can edit this copy.")
            if created
            else _("Your clinic already has a copy of this exercise.")
        )
        self.message_user(request, message, messages.SUCCESS if created else messages.INFO)
        return HttpResponseRedirect(reverse("admin:programs_exercise_change", args=[copy.pk]))

    def import_view(self, request):
        if not self.has_add_permission(request) or staff_clinic_id(request.user) is None:
            raise PermissionDenied
        form = ExerciseImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            file_format = upload.name.rsplit(".", 1)[-1].lower()
            try:
                file_size_check(upload.size)  # before reading it
                rows = rows_from_bytes(upload.read(), file_format)
                result = exercises_import(clinic=user_clinic(request), rows=rows)
            except ImportRejected as rejected:
                errors = rejected.errors
            else:
                self.message_user(
                    request,
                    _("Imported: %(created)s added, %(updated)s updated.")
                    % {"created": len(result.created), "updated": len(result.updated)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:programs_exercise_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import exercises"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/programs/exercise/import.html", context)

    @admin.action(description=_("Copy to my clinic (to edit it)"))
    def copy_to_my_clinic(self, request, queryset):
        clinic = self._require_clinic(request)
        if clinic is None:
            return None
        created = 0
        for exercise in queryset.filter(clinic__isnull=True).order_by("pk"):
            _copy, was_created = exercise_copy_to_clinic(exercise=exercise, clinic=clinic)
            created += was_created
        self.message_user(
            request,
            ngettext(
                "%(count)d exercise copied to your clinic.",
                "%(count)d exercises copied to your clinic.",
                created,
            )
            % {"count": created}
            + (" " + _("Exercises already in your clinic were skipped.") if created == 0 else ""),
            messages.SUCCESS,
        )
        return None

    def _export(self, request, queryset, file_format):
        content_type = "text/csv" if file_format == "csv" else "application/json"
        response = HttpResponse(
            exercises_export(queryset, file_format), content_type=f"{content_type}; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="exercises.{file_format}"'
        return response

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description=_("Export selected as JSON"), permissions=["view"])
    def export_json(self, request, queryset):
        return self._export(request, queryset, "json")


# Programs --------------------------------------------------------------------------------------


class ProgramItemFormSet(KnownLabelsFormSetMixin, CustomInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An empty override means "the exercise's default": show that default, greyed out.
        for form in self.initial_forms:
            exercise = form.instance.exercise
            for name, value in exercise.dosage().items():
                if name in form.fields and value not in (None, ""):
                    form.fields[name].widget.attrs["placeholder"] = value


DOSAGE_ITEM_FIELDS = [
    "exercise",
    "sets",
    "reps",
    "side",
    "hold_seconds",
    "hold_seconds_max",
    "contraction_seconds",
    "contraction_seconds_max",
    "rest_seconds",
    "intensity",
    "note",
    "patient_sees",
]


class DosageItemInline(KnownLabelsAutocompleteMixin, ScopedChoicesMixin, SortableTabularInline):
    """Ordered exercises with their dosage, as compact rows: a program's or a patient's."""

    fields = DOSAGE_ITEM_FIELDS
    readonly_fields = ["patient_sees"]
    autocomplete_fields = ["exercise"]
    classes = ["flexion-items"]
    extra = 0
    verbose_name = _("exercise")
    formfield_overrides = {
        models.PositiveSmallIntegerField: {"widget": NARROW_NUMBER},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 24})},
    }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("exercise")


class ProgramItemInline(DosageItemInline):
    model = ProgramItem
    formset = ProgramItemFormSet
    verbose_name_plural = _("exercises (drag ☰ to reorder; empty dosage = the exercise's default)")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name in ("side", "intensity"):
            kwargs["choices"] = [("", _("default")), *db_field.choices]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.display(description=_("the patient sees"))
    def patient_sees(self, item):
        if item.pk is None:
            return "–"
        text = dosage_text(item.resolved_dosage(item.exercise))
        if item.lacks_dosage():
            return format_html('<span class="flexion-warning">⚠ {}</span>', _("no dosage set"))
        return text


class QuestionnaireScheduleInline(ScopedChoicesMixin, admin.TabularInline):
    """When a questionnaire is due: at the start, every N weeks, at the end."""

    fields = ["questionnaire", "at_start", "every_weeks", "end_after_weeks"]
    extra = 0
    verbose_name = _("questionnaire")
    verbose_name_plural = _("questionnaires (outcome measures) and when they are due")


class ProgramQuestionnaireInline(QuestionnaireScheduleInline):
    model = ProgramQuestionnaire


@admin.register(Program)
class ProgramAdmin(WideChangeFormMixin, SortableAdminBase, LibraryAdmin):
    form = ProgramForm
    change_form_template = "admin/programs/program/change_form.html"
    list_display = [
        "name",
        "goal",
        "exercise_count",
        "dosage_warnings",
        "scheme",
        "library",
        missing_translations,
    ]
    list_filter = [LibraryFilter, MissingTranslationFilter, "scheme"]
    search_fields = ["name", "goal", "items__exercise__name"]
    inlines = [ProgramItemInline, ProgramQuestionnaireInline]
    # patients/admin.py registers this admin's subclass with "Assign to patients" first.
    actions = ["duplicate_programs", "copy_to_my_clinic"]
    fieldsets = [
        (None, {"fields": ["name", "goal", "scheme"]}),
        (_("Education text for the patient"), {"fields": ["education"]}),
        *translation_fieldsets(Program),
    ]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        items = ProgramItem.objects.select_related("exercise")
        return (
            super()
            .get_queryset(request)
            .select_related("scheme")
            .annotate(exercise_total=Count("items", distinct=True))
            .prefetch_related(Prefetch("items", queryset=items))
        )

    def get_field_queryset(self, db, db_field, request):
        if db_field.name == "scheme":
            return ProgressionScheme.objects.visible_to(request.user)
        return super().get_field_queryset(db, db_field, request)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        default = ProgressionScheme.objects.filter(clinic=None, is_default=True).first()
        initial.setdefault("scheme", default.pk if default else None)
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("exercises"), ordering="exercise_total")
    def exercise_count(self, obj):
        return obj.exercise_total

    @admin.display(description=_("warnings"), empty_value="")
    def dosage_warnings(self, obj):
        missing = [item for item in obj.items.all() if item.lacks_dosage()]
        if not missing:
            return ""
        return format_html(
            '<span class="flexion-warning">⚠ {}</span>',
            ngettext(
                "%(count)d exercise without a dosage",
                "%(count)d exercises without a dosage",
                len(missing),
            )
            % {"count": len(missing)},
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            program = self.get_object(request, object_id)
            if program is not None:
                for item in program.items.all():
                    if item.lacks_dosage():
                        self.message_user(
                            request,
                            _(
                                "“%(exercise)s” has no dosage: neither the exercise nor this "
                                "program says how many sets, reps or how long to hold."
                            )
                            % {"exercise": item.exercise},
                            messages.WARNING,
                        )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="programs_program_preview",
            ),
            path(
                "<path:object_id>/copy/",
                self.admin_site.admin_view(self.copy_view),
                name="programs_program_copy",
            ),
            *super().get_urls(),
        ]

    def copy_view(self, request, object_id):
        """Duplicate a clinic program, or copy a shared one into the clinic, and open the copy."""
        program = get_object_or_404(self.get_queryset(request), pk=object_id)
        clinic = user_clinic(request)
        if request.method != "POST" or clinic is None or not self.has_add_permission(request):
            raise PermissionDenied
        copy = program_copy(program=program, clinic=clinic, created_by=request.user)
        self.message_user(
            request,
            _("“%(name)s” is your clinic's copy: edit it freely.") % {"name": copy.name},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:programs_program_change", args=[copy.pk]))

    def preview_view(self, request, object_id):
        program = get_object_or_404(self.get_queryset(request), pk=object_id)
        items = [
            {
                "item": item,
                "exercise": item.exercise,
                "dosage": dosage_text(item.resolved_dosage(item.exercise)),
                "video": item.exercise.video,
                "lacks_dosage": item.lacks_dosage(),
            }
            for item in program.items.all()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": program,
            "title": _("Preview: %(name)s") % {"name": program.name},
            "program": program,
            "items": items,
            "stages": SchemeStage.objects.filter(scheme_id=program.scheme_id),
        }
        return TemplateResponse(request, "admin/programs/program/preview.html", context)

    @admin.action(description=_("Duplicate"), permissions=["add"])
    def duplicate_programs(self, request, queryset):
        clinic = self._require_clinic(request)
        if clinic is None:
            return None
        copies = [
            program_copy(program=program, clinic=clinic, created_by=request.user)
            for program in queryset.filter(clinic=clinic)
        ]
        self._report_copies(request, copies, queryset.filter(clinic__isnull=True).exists())
        return None

    @admin.action(description=_("Copy to my clinic (to edit it)"), permissions=["add"])
    def copy_to_my_clinic(self, request, queryset):
        clinic = self._require_clinic(request)
        if clinic is None:
            return None
        copies = [
            program_copy(program=program, clinic=clinic, created_by=request.user)
            for program in queryset.filter(clinic__isnull=True)
        ]
        self._report_copies(request, copies, False)
        return None

    def _report_copies(self, request, copies, skipped_shared):
        if copies:
            self.message_user(
                request,
                format_html(
                    "{} {}",
                    _("Created:"),
                    format_html_join(
                        ", ",
                        '<a href="{}">{}</a>',
                        (
                            (reverse("admin:programs_program_change", args=[c.pk]), c.name)
                            for c in copies
                        ),
                    ),
                ),
                messages.SUCCESS,
            )
        if skipped_shared or not copies:
            self.message_user(
                request,
                _(
                    "Shared programs are copied with “Copy to my clinic”; "
                    "“Duplicate” copies your clinic's own programs."
                ),
                messages.INFO,
            )


# Questionnaires -------------------------------------------------------------------------------


class QuestionnaireForm(ContentLanguagesFormMixin, forms.ModelForm):
    definition = forms.JSONField(
        label=_("definition"),
        help_text=_(
            "A FHIR Questionnaire (items, answer options) with a scoring rule, texts in "
            "English with their German and Spanish translations as FHIR translation "
            "extensions; see docs/outcomes.md. Saving a changed definition makes a new "
            "version: answers given to an older version keep it."
        ),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "vLargeTextField"}),
    )

    class Meta:
        model = Questionnaire
        fields = ["code", "title", *translation_fields(Questionnaire)]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = self.instance.latest_version() if self.instance.pk else None
        if latest is not None:
            self.fields["definition"].initial = latest.definition

    def clean_definition(self):
        definition = self.cleaned_data["definition"]
        try:
            definition_parse(definition)
        except DefinitionError as error:
            raise forms.ValidationError(str(error)) from error
        return definition


@admin.register(Questionnaire)
class QuestionnaireAdmin(LibraryAdmin):
    """Outcome measures: the shared ones read-only, a clinic's own editable (new versions)."""

    form = QuestionnaireForm
    list_display = ["title", "code", "version_number", "questions_missing_translations", "library"]
    list_filter = [LibraryFilter, MissingTranslationFilter]
    search_fields = ["title", "code"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(version_count=Count("versions"))
            .prefetch_related("versions")
        )

    @admin.display(description=_("version"), ordering="version_count")
    def version_number(self, obj):
        return obj.version_count

    @admin.display(description=_("missing translations"))
    def questions_missing_translations(self, obj):
        """The title's and the latest version's questions' missing languages."""
        latest = max(obj.versions.all(), key=lambda version: version.number, default=None)
        codes = set(obj.missing_translations) | set(latest.missing_translations if latest else ())
        return ", ".join(code for code in content_languages()[1:] if code in codes) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        questionnaire_version_save(
            questionnaire=form.instance, definition=form.cleaned_data["definition"]
        )


# Body regions and equipment -------------------------------------------------------------------


class VocabularyAdmin(SuperuserOnlyMixin, InvalidFilterMixin, admin.ModelAdmin):
    """The shared words exercises are tagged with, per language; kept by the site's operator
    (superusers), read by every clinic."""

    list_display = ["name", *translation_fields(BodyRegion), "code", missing_translations]
    list_filter = [MissingTranslationFilter]
    search_fields = ["code", "name_en", "name_de", "name_es"]
    fields = ["code", "name", *translation_fields(BodyRegion)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        model = self.model
        form = type(
            f"{model.__name__}Form",
            (ContentLanguagesFormMixin, forms.ModelForm),
            {"Meta": type("Meta", (), {"model": model, "fields": self.fields})},
        )
        return super().get_form(request, obj, change, form=form, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # exercises are tagged with them; a wrong word is renamed, not deleted


admin.site.register(BodyRegion, VocabularyAdmin)
admin.site.register(Equipment, VocabularyAdmin)
