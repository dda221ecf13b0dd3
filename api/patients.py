"""Patients, their assignments (with progress), sessions, check-ins and reminders."""

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.models import AuditAction, StaffMember
from patients.checkins import checkin_record
from patients.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    CheckIn,
    ExerciseLog,
    Patient,
    PrescriptionItem,
    Reminder,
    Session,
)
from patients.player import (
    SessionAlreadyLogged,
    exercise_log_save,
    session_finish,
    session_log_past,
    session_start,
)
from patients.progress import assignment_progress, local_today
from patients.reevaluation import assignment_reevaluate
from patients.services import assignment_create, patient_email_change
from programs.models import Dosage, Program

from .base import (
    IdFilter,
    ModelCleanSerializer,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
    ScopedRelatedField,
)

READ = ("list", "retrieve")


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "08:00"}
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the patient's own time zone, so without an offset."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class PatientSerializer(ModelCleanSerializer):
    therapist = ScopedRelatedField(
        queryset=StaffMember.objects.all(), required=False, allow_null=True
    )
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "timezone",
            "language",
            "reminder_consent",
            "reminders_opted_out_at",
            "therapist",
            "has_login",
            "created_at",
        ]
        read_only_fields = ["reminders_opted_out_at"]

    @extend_schema_field(serializers.BooleanField())
    def get_has_login(self, obj) -> bool:
        return obj.user_id is not None

    def owner_attrs(self):
        return {"clinic_id": self.clinic_id_of_user()}

    @transaction.atomic
    def update(self, instance, validated_data):
        """A changed address goes through patient_email_change, which moves the login's too."""
        email = validated_data.pop("email", None)
        instance = super().update(instance, validated_data)
        if email is not None:
            patient_email_change(patient=instance, email=email)
        return instance


class PatientFilter(django_filters.FilterSet):
    therapist = IdFilter("therapist")
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Patient
        fields = ["therapist", "email", "reminder_consent"]


class PatientViewSet(ScopedModelViewSet):
    """The clinic's patients; a patient sees only their own record."""

    queryset = Patient.objects.none()
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    ordering_fields = ["last_name", "first_name", "created_at"]
    ordering = ["last_name", "first_name", "id"]
    patient_actions = READ


class PrescriptionItemSerializer(serializers.ModelSerializer):
    exercise_name = serializers.CharField(source="exercise.name", read_only=True)

    class Meta:
        model = PrescriptionItem
        fields = ["id", "exercise", "exercise_name", "order", "note", *Dosage.DOSAGE_FIELDS]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    items = PrescriptionItemSerializer(many=True, read_only=True)
    reminder_time = LocalTimeField(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "patient",
            "program",
            "therapist",
            "name",
            "goal",
            "education",
            "scheme",
            "start_date",
            "status",
            "reminder_time",
            "timezone",
            "advanced",
            "preferred_weekdays",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StageSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    planned_sessions = serializers.IntegerField()
    max_sessions = serializers.IntegerField()


class WeekSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    stage = StageSerializer()
    planned = serializers.IntegerField()
    completed = serializers.IntegerField()
    planned_days = serializers.ListField(child=serializers.DateField())
    in_progress = serializers.BooleanField()
    reason = serializers.CharField()


class StageChangeSerializer(serializers.Serializer):
    on = serializers.DateField()
    from_stage = serializers.CharField()
    to_stage = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField()
    alert_therapist = serializers.BooleanField()


class ProgressSerializer(serializers.Serializer):
    current_stage = StageSerializer()
    current_week = WeekSerializer(help_text="This week, with its planned days.")
    changes = StageChangeSerializer(many=True, help_text="The stage history, oldest first.")


class AssignmentDetailSerializer(AssignmentSerializer):
    progress = serializers.SerializerMethodField()

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "progress"]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj) -> dict:
        return ProgressSerializer(assignment_progress(obj)).data


class AssignmentCreateSerializer(serializers.Serializer):
    patient = ScopedRelatedField(queryset=Patient.objects.all())
    program = ScopedRelatedField(queryset=Program.objects.all())
    therapist = ScopedRelatedField(
        queryset=StaffMember.objects.all(), required=False, allow_null=True
    )
    start_date = serializers.DateField()
    reminder_time = LocalTimeField(required=False)
    timezone = serializers.CharField(required=False, max_length=64)
    advanced = serializers.BooleanField(default=False)
    preferred_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7, required=False
    )
    starting_stage = serializers.CharField(
        required=False,
        max_length=30,
        help_text="A stage code of the program's scheme; default: its first stage.",
    )


class AssignmentUpdateSerializer(ModelCleanSerializer):
    reminder_time = LocalTimeField(required=False)
    therapist = ScopedRelatedField(
        queryset=StaffMember.objects.all(), required=False, allow_null=True
    )
    preferred_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7, required=False
    )

    class Meta:
        model = Assignment
        fields = [
            "therapist",
            "name",
            "goal",
            "education",
            "status",
            "reminder_time",
            "timezone",
            "advanced",
            "preferred_weekdays",
        ]


class AssignmentFilter(django_filters.FilterSet):
    patient = IdFilter("patient")
    program = IdFilter("program")
    therapist = IdFilter("therapist")

    class Meta:
        model = Assignment
        fields = ["patient", "program", "therapist", "status"]


class AssignmentViewSet(ScopedModelViewSet):
    """Programs given to patients. The detail adds the progress: the current stage,
    this week's planned days and the stage history (computed per assignment, so
    only on the detail: the list stays at a constant number of queries).
    """

    queryset = Assignment.objects.none()
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["start_date", "created_at", "updated_at"]
    ordering = ["-start_date", "id"]
    prefetch_related = ("items__exercise",)
    patient_actions = READ

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            # The progress cache's key reads the scheme; its stages are read on a miss only.
            queryset = queryset.select_related("scheme")
        return queryset

    def get_serializer_class(self):
        return {
            "retrieve": AssignmentDetailSerializer,
            "create": AssignmentCreateSerializer,
            "partial_update": AssignmentUpdateSerializer,
        }.get(self.action, AssignmentSerializer)

    @extend_schema(request=AssignmentCreateSerializer, responses=AssignmentDetailSerializer)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = assignment_create(
            patient=data["patient"],
            program=data["program"],
            therapist=data.get("therapist"),
            start_date=data["start_date"],
            reminder_time=data.get("reminder_time", data["patient"].clinic.reminder_time),
            timezone=data.get("timezone"),
            advanced=data["advanced"],
            preferred_weekdays=data.get("preferred_weekdays", ()),
            starting_stage=data.get("starting_stage"),
            by=request.user,
        )
        self.audit(AuditAction.ADD, assignment)
        assignment = self.get_queryset().select_related("scheme").get(pk=assignment.pk)
        return Response(
            AssignmentDetailSerializer(assignment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=AssignmentUpdateSerializer, responses=AssignmentDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        assignment = self.get_object()
        serializer = self.get_serializer(assignment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            self.perform_update(serializer)
            assignment_reevaluate(assignment=serializer.instance)
        self.action = "retrieve"
        assignment = self.get_queryset().get(pk=assignment.pk)
        return Response(
            AssignmentDetailSerializer(assignment, context=self.get_serializer_context()).data
        )


class ExerciseLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExerciseLog
        fields = [
            "id",
            "item",
            "sets_done",
            "reps_done",
            "pain",
            "skipped",
            "skip_reason",
            "completed_at",
        ]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    logs = ExerciseLogSerializer(many=True, read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "assignment",
            "patient",
            "performed_on",
            "status",
            "started_at",
            "completed_at",
            "effort",
            "logged_afterwards",
            "logs",
        ]
        read_only_fields = fields


class SessionFilter(django_filters.FilterSet):
    assignment = IdFilter("assignment")
    patient = IdFilter("patient")
    performed_after = django_filters.DateFilter(field_name="performed_on", lookup_expr="gte")
    performed_before = django_filters.DateFilter(field_name="performed_on", lookup_expr="lte")

    class Meta:
        model = Session
        fields = ["assignment", "patient", "status"]


class SessionCreateSerializer(serializers.Serializer):
    # As on the patient site: sessions are started or logged for active programs only.
    assignment = ScopedRelatedField(
        queryset=Assignment.objects.filter(status=AssignmentStatus.ACTIVE),
        help_text="One of the patient's active assignments.",
    )
    performed_on = serializers.DateField(
        required=False,
        help_text="Only to record a session done earlier (up to 7 days back), completed at once.",
    )
    effort = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Becomes the patient's message to the clinic (see /messages/).",
    )
    another = serializers.BooleanField(
        default=False,
        help_text="With performed_on: log it even though a session of that day is recorded "
        "(otherwise 409, code already_logged).",
    )


class AlreadyLogged(exceptions.APIException):
    status_code = 409
    default_detail = "A session is already logged for that day; send another=true to add one."
    default_code = "already_logged"


class ExerciseLogInputSerializer(serializers.Serializer):
    item = ScopedRelatedField(
        queryset=PrescriptionItem.objects.all(), help_text="A prescribed exercise of the session."
    )
    sets_done = serializers.IntegerField(min_value=0, max_value=1000, default=0)
    reps_done = serializers.IntegerField(min_value=0, max_value=10000, default=0)
    pain = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    skipped = serializers.BooleanField(default=False)
    skip_reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class SessionFinishSerializer(serializers.Serializer):
    effort = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Becomes the patient's message to the clinic (see /messages/).",
    )


class SessionViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Sessions with their exercise logs: the clinic's, or a patient's own.

    A patient starts today's session (or gets back the unfinished one), saves each
    exercise as it is done, and finishes it; or records a session done earlier.
    """

    queryset = Session.objects.none()
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["performed_on", "started_at"]
    ordering = ["-performed_on", "-started_at", "id"]
    prefetch_related = ("logs",)
    patient_actions = (*READ, "create", "log", "finish")
    staff_permissions = {"log": "patients.change_session", "finish": "patients.change_session"}

    def get_serializer_class(self):
        return {
            "create": SessionCreateSerializer,
            "log": ExerciseLogInputSerializer,
            "finish": SessionFinishSerializer,
        }.get(self.action, SessionSerializer)

    def _session_response(self, session, status_code=status.HTTP_200_OK):
        session = self.get_queryset().get(pk=session.pk)
        return Response(SessionSerializer(session).data, status=status_code)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = data["assignment"]
        performed_on = data.get("performed_on")
        if performed_on is None or performed_on == local_today(assignment):
            session = session_start(assignment=assignment)
        else:
            try:
                session = session_log_past(
                    assignment=assignment,
                    performed_on=performed_on,
                    effort=data.get("effort"),
                    note=data.get("note", ""),
                    another=data["another"],
                    request=request,
                )
            except SessionAlreadyLogged as error:
                raise AlreadyLogged() from error
        self.audit(AuditAction.ADD, session)
        return self._session_response(session, status.HTTP_201_CREATED)

    @extend_schema(request=ExerciseLogInputSerializer, responses=SessionSerializer)
    @action(detail=True, methods=["post"])
    def log(self, request, pk=None):
        """Save what was done of one exercise; saving it again replaces that log."""
        session = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        log = exercise_log_save(session=session, **serializer.validated_data)
        self.audit(AuditAction.CHANGE, log)
        return self._session_response(session)

    @extend_schema(request=SessionFinishSerializer, responses=SessionSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Complete the session with the effort and a note; finishing again changes nothing."""
        session = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session_finish(
            session=session, effort=data.get("effort"), note=data.get("note", ""), request=request
        )
        self.audit(AuditAction.CHANGE, session)
        return self._session_response(session)


class CheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = ["id", "session", "patient", "answer", "answered_on", "answered_at"]
        read_only_fields = fields


class CheckInCreateSerializer(serializers.Serializer):
    session = ScopedRelatedField(queryset=Session.objects.all())
    answer = serializers.ChoiceField(choices=Answer.choices)


class CheckInFilter(django_filters.FilterSet):
    session = IdFilter("session")
    patient = IdFilter("patient")

    class Meta:
        model = CheckIn
        fields = ["session", "patient", "answer"]


class CheckInViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Next-day check-ins. A patient answers about their own completed session, from the
    day after it; the same day they may change the answer.
    """

    queryset = CheckIn.objects.none()
    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter
    ordering_fields = ["answered_on", "answered_at"]
    ordering = ["-answered_on", "id"]
    patient_actions = (*READ, "create")

    def get_serializer_class(self):
        return CheckInCreateSerializer if self.action == "create" else CheckInSerializer

    @extend_schema(request=CheckInCreateSerializer, responses=CheckInSerializer)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkin, _changes = checkin_record(**serializer.validated_data)
        self.audit(AuditAction.ADD, checkin)
        return Response(CheckInSerializer(checkin).data, status=status.HTTP_201_CREATED)


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = [
            "id",
            "patient",
            "local_date",
            "due_at",
            "includes_session",
            "includes_checkin",
            "status",
            "sent_at",
            "attempts",
        ]
        read_only_fields = fields


class ReminderFilter(django_filters.FilterSet):
    patient = IdFilter("patient")
    date_after = django_filters.DateFilter(field_name="local_date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="local_date", lookup_expr="lte")

    class Meta:
        model = Reminder
        fields = ["patient", "status"]


class ReminderViewSet(ScopedReadOnlyViewSet):
    """Reminders sent (or claimed, failed, skipped) per patient and day."""

    queryset = Reminder.objects.none()
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    ordering_fields = ["local_date", "due_at"]
    ordering = ["-local_date", "id"]
    patient_actions = READ
