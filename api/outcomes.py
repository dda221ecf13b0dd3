"""Outcome questionnaires over the API: definitions, and patients' responses.

A patient starts the questionnaire due today, saves answers as they go, and sends it;
a sent response is never changed (a correction is a new response that supersedes it).
Staff read them.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.models import AuditAction
from patients import outcomes
from patients.models import Assignment, AssignmentStatus, OutcomeResponse
from patients.progress import local_today
from programs.models import Questionnaire, QuestionnaireVersion

from .base import IdFilter, ScopedReadOnlyViewSet, ScopedRelatedField

READ = ("list", "retrieve")


class QuestionnaireSerializer(serializers.ModelSerializer):
    shared = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    definition = serializers.SerializerMethodField()

    class Meta:
        model = Questionnaire
        fields = ["id", "code", "title", "shared", "version", "definition"]
        read_only_fields = fields

    def _latest(self, obj):
        versions = obj.latest_versions
        return versions[0] if versions else None

    def get_shared(self, obj) -> bool:
        return obj.clinic_id is None

    def get_version(self, obj) -> int | None:
        latest = self._latest(obj)
        return latest.number if latest else None

    def get_definition(self, obj) -> dict:
        latest = self._latest(obj)
        return latest.definition if latest else {}


class QuestionnaireViewSet(ScopedReadOnlyViewSet):
    """Outcome measures: the shared ones and the clinic's own, with their latest definition
    (a FHIR Questionnaire with a scoring rule). Staff only: a patient's response carries
    the definition it answers."""

    queryset = Questionnaire.objects.none()
    serializer_class = QuestionnaireSerializer
    ordering_fields = ["title", "code"]
    ordering = ["title", "id"]
    prefetch_related = (
        Prefetch(
            "versions",
            queryset=QuestionnaireVersion.objects.order_by("-number"),
            to_attr="latest_versions",
        ),
    )


class OutcomeResponseSerializer(serializers.ModelSerializer):
    definition = serializers.JSONField(
        source="version.definition",
        read_only=True,
        help_text="The questions this response answers (its own version's definition).",
    )

    class Meta:
        model = OutcomeResponse
        fields = [
            "id",
            "assignment",
            "patient",
            "questionnaire",
            "version",
            "occasion",
            "status",
            "answers",
            "definition",
            "score",
            "supersedes",
            "started_at",
            "submitted_at",
        ]
        read_only_fields = fields


class OutcomeResponseStartSerializer(serializers.Serializer):
    assignment = ScopedRelatedField(
        queryset=Assignment.objects.filter(status=AssignmentStatus.ACTIVE)
    )
    # Only a questionnaire due for this program now can be started: it is looked up among
    # the program's due ones (a patient does not list the clinic's questionnaires).
    questionnaire = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Answers by linkId: numbers for numbers and choices, text for text.",
    )


class OutcomeResponseFilter(django_filters.FilterSet):
    assignment = IdFilter("assignment")
    patient = IdFilter("patient")
    questionnaire = IdFilter("questionnaire")

    class Meta:
        model = OutcomeResponse
        fields = ["assignment", "patient", "questionnaire", "status"]


class AlreadySent(exceptions.APIException):
    status_code = 409
    default_detail = "These answers were sent: send a correction instead."
    default_code = "already_sent"


class OutcomeResponseViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Questionnaire responses: the clinic's (read), or a patient's own.

    A patient starts the questionnaire due today (starting it again returns the same
    response), saves answers (only the ones given are checked and stored; a missing or
    out-of-range answer gets a message per item and nothing is saved), sends it, and may
    correct a sent one.
    """

    queryset = OutcomeResponse.objects.none()
    serializer_class = OutcomeResponseSerializer
    filterset_class = OutcomeResponseFilter
    ordering_fields = ["occasion", "started_at"]
    ordering = ["-occasion", "-started_at", "id"]
    select_related = ("version", "assignment")
    patient_actions = (*READ, "create", "answer", "submit", "correct")
    # Only patients write their answers.
    staff_permissions = {
        "create": "patients.add_outcomeresponse",
        "answer": "patients.change_outcomeresponse",
        "submit": "patients.change_outcomeresponse",
        "correct": "patients.add_outcomeresponse",
    }

    def get_serializer_class(self):
        return {
            "create": OutcomeResponseStartSerializer,
            "answer": AnswersSerializer,
            "submit": serializers.Serializer,
            "correct": serializers.Serializer,
        }.get(self.action, OutcomeResponseSerializer)

    def _response(self, response, status_code=status.HTTP_200_OK):
        response = self.get_queryset().get(pk=response.pk)
        return Response(OutcomeResponseSerializer(response).data, status=status_code)

    @extend_schema(
        request=OutcomeResponseStartSerializer, responses={201: OutcomeResponseSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = serializer.validated_data["assignment"]
        questionnaire = serializer.validated_data["questionnaire"]
        due = [
            item
            for item in outcomes.due_questionnaires(
                [assignment], {assignment.pk: local_today(assignment)}
            )
            if item.questionnaire.pk == questionnaire
        ]
        if not due:
            raise exceptions.ValidationError(
                {"questionnaire": ["This questionnaire is not due for this program now."]}
            )
        response = outcomes.response_start(
            assignment=assignment, questionnaire=due[0].questionnaire, occasion=due[0].occasion
        )
        self.audit(AuditAction.ADD, response)
        return self._response(response, status.HTTP_201_CREATED)

    @extend_schema(request=AnswersSerializer, responses=OutcomeResponseSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Save some answers of a response in progress (the others are kept)."""
        response = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data["answers"]
        definition = response.version.parsed
        known = {question.link_id for question in definition.questions}
        unknown = sorted(set(given) - known)
        if unknown:
            raise exceptions.ValidationError(
                {"answers": [f"This questionnaire has no item {key!r}." for key in unknown[:10]]}
            )
        questions = [q for q in definition.questions if q.link_id in given]
        try:
            outcomes.response_save(response=response, questions=questions, raw=given)
        except outcomes.AlreadySent as error:
            raise AlreadySent() from error
        self.audit(AuditAction.CHANGE, response)
        return self._response(response)

    @extend_schema(request=None, responses=OutcomeResponseSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the response: every answer is checked, it is scored and never changes again."""
        response = self.get_object()
        try:
            outcomes.response_submit(response=response, today=local_today(response.assignment))
        except outcomes.AlreadySent as error:
            raise AlreadySent() from error
        self.audit(AuditAction.CHANGE, response)
        return self._response(response)

    @extend_schema(request=None, responses={201: OutcomeResponseSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Start a correction of a sent response: a new response that supersedes it."""
        response = self.get_object()
        if not response.is_submitted:
            raise exceptions.ValidationError(
                {"status": ["Only sent answers are corrected; change this one instead."]}
            )
        correction = outcomes.response_correct(response=response)
        self.audit(AuditAction.ADD, correction)
        return self._response(correction, status.HTTP_201_CREATED)
