"""Form pieces of the therapist's admin: steps as lines, video links, cheap autocomplete rows."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import fallbacks

from .models import Exercise, ExercisePicture, Program, content_languages
from .pictures import picture_prepare
from .services import picture_files_store
from .video import InvalidVideoURL, parse_video_url


class StepsField(forms.CharField):
    """A list of steps, edited as one step per line."""

    widget = forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


def translation_fields(model) -> list[str]:
    """The form fields of a model's texts in the languages other than the default."""
    return [
        f"{name}_{code}" for code in content_languages()[1:] for name in model.TRANSLATED_FIELDS
    ]


def translation_fieldsets(model) -> list[tuple[str, dict]]:
    """One collapsed fieldset per other language, named in its own language."""
    names = dict(settings.LANGUAGES)
    return [
        (
            f"{names[code]} ({code})",
            {
                "classes": ["collapse"],
                "fields": [f"{name}_{code}" for name in model.TRANSLATED_FIELDS],
            },
        )
        for code in content_languages()[1:]
    ]


class ContentLanguagesFormMixin:
    """The plain fields (``name``) edit the default language's text, ``name_de`` German's.

    Built and validated in the default language without fallbacks, so a staff member working
    in German edits the English text in ``name``, never a copy of it into ``name_de``.
    """

    def __init__(self, *args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE), fallbacks(False):
            super().__init__(*args, **kwargs)
        for name in translation_fields(self._meta.model):
            if name not in self.fields:  # a read-only view
                continue
            plain = name.rsplit("_", 1)[0]
            field = self.fields[name]
            if isinstance(self.fields.get(plain), StepsField):
                self.fields[name] = StepsField(label=field.label, required=False)
            elif plain in self.fields:
                field.widget = type(self.fields[plain].widget)(
                    attrs=dict(self.fields[plain].widget.attrs)
                )
            field = self.fields[name]
            field.required = False
            field.help_text = ""

    def full_clean(self):
        with translation.override(settings.LANGUAGE_CODE), fallbacks(False):
            super().full_clean()


class NameUniqueInClinicMixin:
    """Refuse a name the clinic already uses, before the database constraint would.

    The clinic is not a form field (the admin sets it on save), so Django's own unique
    check cannot see the constraint; ``clinic_id`` is set by the admin's ``get_form``.
    """

    clinic_id: int | None = None

    def clean_name(self):
        name = self.cleaned_data["name"]
        clinic_id = self.instance.clinic_id if self.instance.pk else self.clinic_id
        model = self._meta.model
        taken = model.objects.filter(clinic_id=clinic_id, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Your clinic already uses this name."))
        return name


class ExerciseForm(ContentLanguagesFormMixin, NameUniqueInClinicMixin, forms.ModelForm):
    steps = StepsField(
        label=_("Steps"),
        required=False,
        help_text=_("One step per line, in order. The patient sees them numbered."),
    )
    video_url = forms.CharField(
        label=_("Video link"),
        required=False,
        max_length=2048,
        widget=forms.URLInput(attrs={"class": "vURLField", "placeholder": "https://youtu.be/…"}),
        help_text=_(
            "Any YouTube or Vimeo link (watch, youtu.be, embed, shorts, player). Only the "
            "video id is kept; patients see the privacy-enhanced player."
        ),
    )

    class Meta:
        model = Exercise
        # The library's one field list; the link is the form field above (the admin's
        # fieldsets give the order on the page).
        fields = [
            *(name for name in Exercise.FIELDS if name != "video_url"),
            *translation_fields(Exercise),
        ]
        widgets = {
            "body_regions": forms.CheckboxSelectMultiple,
            "equipment": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            "source": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "cues": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "cautions": forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
            "stop_rule": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        video = self.instance.video
        if video is not None:
            self.fields["video_url"].initial = video.watch_url()

    def clean_video_url(self):
        url = self.cleaned_data["video_url"].strip()
        if url:
            try:
                parse_video_url(url)
            except InvalidVideoURL as error:
                raise forms.ValidationError(str(error)) from None
        return url

    def _post_clean(self):
        # Set the video before the model validation, so provider and id are checked too.
        if "video_url" in self.cleaned_data:
            self.instance.set_video_url(self.cleaned_data["video_url"])
        super()._post_clean()


class ProgramForm(ContentLanguagesFormMixin, NameUniqueInClinicMixin, forms.ModelForm):
    class Meta:
        model = Program
        fields = ["name", "goal", "scheme", "education", *translation_fields(Program)]
        widgets = {"education": forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"})}


class KnownLabelsAutocompleteSelect(AutocompleteSelect):
    """An autocomplete select that can be told the labels of its selected rows up front.

    Django's widget runs one query per rendered row to label the selected option; inline
    formsets pass the labels they already loaded (see ``KnownLabelsFormSetMixin``), so a
    page with 30 items runs as many queries as one with 3.
    """

    known_labels: dict[str, str] | None = None

    def optgroups(self, name, value, attr=None):
        # A submitted value that is no key at all (a hand-made POST shown again with its
        # errors) cannot be a selected row; Django's widget would query with it and fail.
        value = [v for v in value if self._is_key(v)]
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        known = self.known_labels
        if known is None or not set(selected) <= known.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for pk in selected:
            options.append(self.create_option(name, pk, known[pk], True, len(options)))
        return [(None, options, 0)]

    def _is_key(self, value) -> bool:
        if str(value) in self.choices.field.empty_values:
            return True
        try:
            self.field.target_field.to_python(value)
        except ValidationError:
            return False
        return True


def _autocomplete_widget(field) -> KnownLabelsAutocompleteSelect | None:
    widget = field.widget
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    return widget if isinstance(widget, KnownLabelsAutocompleteSelect) else None


class KnownLabelsFormSetMixin:
    """Label every autocomplete field of the formset's rows with one query at most."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        forms_ = list(self.forms)
        if not forms_:
            return
        for name, field in forms_[0].fields.items():
            if _autocomplete_widget(field) is None:
                continue
            labels, missing = {}, set()
            for form in forms_:
                value = form[name].value()
                if value in (None, ""):
                    continue
                related_field = form.instance._meta.get_field(name)
                if (
                    not form.is_bound
                    and related_field.is_cached(form.instance)
                    and getattr(form.instance, name) is not None
                ):
                    labels[str(value)] = field.label_from_instance(getattr(form.instance, name))
                else:
                    missing.add(str(value))
            missing -= labels.keys()
            if missing:
                valid = [pk for pk in missing if pk.isdigit()]
                for obj in field.queryset.filter(pk__in=valid):
                    labels[str(obj.pk)] = field.label_from_instance(obj)
            for form in forms_:
                widget = _autocomplete_widget(form.fields[name])
                if widget is not None:
                    widget.known_labels = labels


class KnownLabelsAutocompleteMixin:
    """For inline admins: use ``KnownLabelsAutocompleteSelect`` for ``autocomplete_fields``.

    The add, change, delete and view links beside each row's picker are dropped: in a list of
    exercises they crowd the row, and the library has its own pages for that.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in self.get_autocomplete_fields(request) and isinstance(
            getattr(formfield, "widget", None), RelatedFieldWidgetWrapper
        ):
            wrapper = formfield.widget
            wrapper.can_add_related = wrapper.can_change_related = False
            wrapper.can_delete_related = wrapper.can_view_related = False
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownLabelsAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class WideChangeFormMixin:
    """Hide the navigation sidebar on the change form: its rows of exercises need the width."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        return super().changeform_view(request, object_id, form_url, extra_context)


class ExercisePictureForm(ContentLanguagesFormMixin, forms.ModelForm):
    """A picture of the exercise: the file is checked (``picture_prepare``) before anything is
    stored, and cannot be replaced afterwards (delete the picture and add another)."""

    upload = forms.FileField(
        label=_("Picture"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 10 MB. Location and camera data are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = ExercisePicture
        fields = ["upload", "alt_text", *translation_fields(ExercisePicture), "order"]

    prepared = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A saved picture is shown, not replaced: its row's file input is hidden and off
            # (still a file input, so that the page's form stays multipart for new rows).
            self.fields["upload"].widget = forms.FileInput(attrs={"hidden": True})
            self.fields["upload"].disabled = True

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            if not self.instance.pk:
                raise ValidationError(_("Choose a picture to upload."), code="required")
            return None
        if self.instance.pk:
            raise ValidationError(
                _("A saved picture cannot be replaced: delete it and add a new one.")
            )
        self.prepared = picture_prepare(upload)
        return upload

    def save(self, commit=True):
        picture = self.instance
        if self.prepared is not None and not picture.pk:
            picture.large, picture.thumb = picture_files_store(
                clinic_id=picture.exercise.clinic_id, prepared=self.prepared
            )
            picture.width, picture.height = self.prepared.width, self.prepared.height
        return super().save(commit)
