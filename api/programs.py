"""Exercises (the shared library and the clinic's own), programs and their items."""

import re

import django_filters
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from clinic.images import CONTENT_TYPE
from patients.pictures import picture_response
from programs.models import (
    VIDEO_PROVIDERS,
    BodyRegion,
    Equipment,
    Exercise,
    ExercisePicture,
    Program,
    ProgramItem,
    ProgressionScheme,
)
from programs.video import parse_video_url

from .base import IdFilter, ModelCleanSerializer, ScopedModelViewSet, ScopedRelatedField

DOSAGE_FIELDS = list(Exercise.DOSAGE_FIELDS)
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class CodeRelatedField(serializers.SlugRelatedField):
    """A related row named by its code (a slug): anything else cannot name one."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:50])
        return super().to_internal_value(data)


class ExercisePictureSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The picture (WebP, 1200 px on its long side), for the same credentials."
    )
    thumb_url = serializers.SerializerMethodField(
        help_text="The same picture at 320 px on its long side."
    )

    class Meta:
        model = ExercisePicture
        fields = ["id", "url", "thumb_url", "alt_text", "order", "width", "height"]
        read_only_fields = fields

    def _url(self, picture, size: str) -> str:
        path = reverse(
            "api:exercise-picture-file",
            kwargs={"pk": picture.exercise_id, "picture_id": picture.pk, "size": size},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, picture) -> str:
        return self._url(picture, "large")

    def get_thumb_url(self, picture) -> str:
        return self._url(picture, "thumb")


class ExerciseSerializer(ModelCleanSerializer):
    shared = serializers.SerializerMethodField(help_text="Part of the shared starter library.")
    body_regions = CodeRelatedField(queryset=BodyRegion.objects.all(), many=True, required=False)
    equipment = CodeRelatedField(queryset=Equipment.objects.all(), many=True, required=False)
    steps = serializers.ListField(
        child=serializers.CharField(max_length=1000), max_length=50, required=False
    )
    video_provider = serializers.ChoiceField(
        choices=VIDEO_PROVIDERS, allow_blank=True, read_only=True
    )
    pictures = ExercisePictureSerializer(many=True, read_only=True)
    video_url = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="A YouTube or Vimeo link; stored as provider and id. Empty clears it.",
    )

    class Meta:
        model = Exercise
        fields = [
            "id",
            "shared",
            *Exercise.FIELDS,
            "video_provider",
            "video_id",
            "copied_from",
            "pictures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["video_provider", "video_id", "copied_from"]

    @extend_schema_field(serializers.BooleanField())
    def get_shared(self, obj) -> bool:
        return obj.is_shared

    def owner_attrs(self):
        return {"clinic_id": self.clinic_id_of_user()}

    def validate_video_url(self, value):
        if not value:
            return value
        try:
            parse_video_url(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error
        return value

    def validate(self, attrs):
        if "video_url" in attrs:
            url = attrs.pop("video_url")
            video = parse_video_url(url) if url else None
            attrs["video_provider"] = video.provider if video else ""
            attrs["video_id"] = video.id if video else ""
        return super().validate(attrs)


class ExerciseFilter(django_filters.FilterSet):
    shared = django_filters.BooleanFilter(
        field_name="clinic", lookup_expr="isnull", label="Only shared (true) or own (false)"
    )
    body_region = django_filters.CharFilter(field_name="body_regions__code", distinct=True)
    equipment = django_filters.CharFilter(field_name="equipment__code", distinct=True)
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Exercise
        fields = ["category", "starting_position", "intensity"]


class ExerciseViewSet(ScopedModelViewSet):
    """The shared starter library (read-only) and the clinic's own exercises."""

    queryset = Exercise.objects.none()
    serializer_class = ExerciseSerializer
    filterset_class = ExerciseFilter
    ordering_fields = ["name", "category", "created_at", "updated_at"]
    ordering = ["name"]
    prefetch_related = ("body_regions", "equipment", "pictures")

    @extend_schema(
        summary="One file of an exercise's picture",
        responses={(200, CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"pictures/(?P<picture_id>[0-9]+)/(?P<size>large|thumb)",
        url_name="picture-file",
        filter_backends=[],
        pagination_class=None,
    )
    def picture_file(self, request, pk=None, picture_id=None, size=None):
        """The picture's file, when its exercise is one the caller may see."""
        exercise = self.get_object()
        found = (
            ExercisePicture.objects.visible_to(request.user)
            .filter(exercise=exercise, pk=picture_id)
            .first()
        )
        if found is None:
            raise Http404
        return picture_response(found, size)


class ProgramItemSerializer(ModelCleanSerializer):
    program = ScopedRelatedField(queryset=Program.objects.all(), owned=True)
    exercise = ScopedRelatedField(queryset=Exercise.objects.all())
    resolved_dosage = serializers.SerializerMethodField(
        help_text="The dosage the patient gets: the override where set, else the exercise's."
    )

    class Meta:
        model = ProgramItem
        fields = ["id", "program", "exercise", "order", "note", *DOSAGE_FIELDS, "resolved_dosage"]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "sets": {"type": "integer"},
                "reps": {"type": "integer"},
                "hold_seconds": {"type": "integer", "nullable": True},
                "hold_seconds_max": {"type": "integer", "nullable": True},
                "rest_seconds": {"type": "integer"},
                "contraction_seconds": {"type": "integer", "nullable": True},
                "contraction_seconds_max": {"type": "integer", "nullable": True},
                "side": {"type": "string"},
                "intensity": {"type": "string"},
            },
            "required": DOSAGE_FIELDS,
        }
    )
    def get_resolved_dosage(self, obj) -> dict:
        return obj.resolved_dosage(obj.exercise)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # The override's range rule, checked on what the patient would get.
        exercise = attrs.get("exercise") or self.instance.exercise
        override = ProgramItem(**{**self._current(), **attrs})
        resolved = override.resolved_dosage(exercise)
        for low, high in (
            ("hold_seconds", "hold_seconds_max"),
            ("contraction_seconds", "contraction_seconds_max"),
        ):
            if resolved[high] is not None and (
                resolved[low] is None or resolved[high] < resolved[low]
            ):
                raise serializers.ValidationError(
                    {high: "The upper value needs a lower value below it."}
                )
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {name: getattr(self.instance, name) for name in DOSAGE_FIELDS}


class ProgramItemFilter(django_filters.FilterSet):
    program = IdFilter("program")

    class Meta:
        model = ProgramItem
        fields = ["program"]


class ProgramItemViewSet(ScopedModelViewSet):
    """The ordered exercises of programs, each with its dosage override."""

    queryset = ProgramItem.objects.none()
    serializer_class = ProgramItemSerializer
    filterset_class = ProgramItemFilter
    ordering_fields = ["order", "id"]
    ordering = ["program_id", "order", "id"]
    select_related = ("exercise",)


class ProgramSerializer(ModelCleanSerializer):
    shared = serializers.SerializerMethodField()
    scheme = ScopedRelatedField(queryset=ProgressionScheme.objects.all())
    items = ProgramItemSerializer(many=True, read_only=True)

    class Meta:
        model = Program
        fields = [
            "id",
            "key",
            "name",
            "shared",
            "goal",
            "education",
            "scheme",
            "items",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_shared(self, obj) -> bool:
        return obj.clinic_id is None

    def owner_attrs(self):
        request = self.context["request"]
        return {"clinic_id": self.clinic_id_of_user(), "created_by": request.user}


class ProgramViewSet(ScopedModelViewSet):
    """Program templates: copied into a patient's own prescription when assigned."""

    queryset = Program.objects.none()
    serializer_class = ProgramSerializer
    filterset_fields = ["scheme"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    prefetch_related = ("items__exercise",)
