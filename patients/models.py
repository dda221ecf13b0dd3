import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic, StaffMember, validate_timezone
from clinic.tenancy import ScopedQuerySet, Tenancy
from programs import progression
from programs.models import (
    Dosage,
    Exercise,
    Program,
    ProgressionScheme,
    Questionnaire,
    QuestionnaireSchedule,
    QuestionnaireVersion,
    TranslatedContent,
)

MAX_PAIN = 10
# Pain from here on puts a patient on the needs-attention list (reports.adherence).
HIGH_PAIN = 7
# How far from today a program may start or a stage be set: far enough for any real
# program, near enough that a typo (0001, 9999) can neither overflow a date nor make
# tens of thousands of program weeks.
PROGRAM_DATE_WINDOW = datetime.timedelta(days=366)


def program_date_validate(day: datetime.date, *, today: datetime.date | None = None) -> None:
    """Refuse a start or override date more than a year before or after today."""
    today = today or timezone.localdate()
    if not today - PROGRAM_DATE_WINDOW <= day <= today + PROGRAM_DATE_WINDOW:
        raise ValidationError(
            _("Choose a date within a year of today (%(earliest)s to %(latest)s).")
            % {
                "earliest": (today - PROGRAM_DATE_WINDOW).isoformat(),
                "latest": (today + PROGRAM_DATE_WINDOW).isoformat(),
            },
            code="date_out_of_range",
        )


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "The patient's site, emails and reminders are in this language; "
            "the patient can change it."
        ),
    )
    reminder_consent = models.BooleanField(
        _("agrees to email reminders"),
        default=False,
        help_text=_("Reminders are only sent with the patient's consent."),
    )
    reminders_opted_out_at = models.DateTimeField(
        _("unsubscribed from reminders at"), null=True, blank=True
    )
    therapist = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patients",
        verbose_name=_("lead therapist"),
    )
    # A new value with every message of the thread written or read: part of the key of the
    # cached summary on the today page (patients.messages.thread_summary).
    messages_version = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", patient="pk")

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "email"],
                condition=~models.Q(email=""),
                name="unique_patient_email_per_clinic",
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def wants_reminders(self) -> bool:
        return self.reminder_consent and self.reminders_opted_out_at is None and bool(self.email)


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class Assignment(TranslatedContent):
    """A program given to one patient: their own copy of its items, dates and reminder time.

    Its texts are copied in every language the program has (``patients/translation.py``),
    so the patient reads them in their language and the therapist in theirs.
    """

    TRANSLATED_FIELDS = ("name", "goal", "education")

    # The clinic is stored beside the patient so that set-based queries (reminders,
    # reports) scope by an indexed column instead of a join.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="assignments")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    program = models.ForeignKey(
        Program,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        help_text=_("The template this was copied from; editing it does not change this copy."),
    )
    therapist = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    name = models.CharField(_("name"), max_length=200)
    goal = models.CharField(_("goal or condition"), max_length=300, blank=True)
    education = models.TextField(_("education text"), blank=True)
    scheme = models.ForeignKey(
        ProgressionScheme, on_delete=models.PROTECT, verbose_name=_("progression scheme")
    )
    start_date = models.DateField(_("start date"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.ACTIVE,
    )
    reminder_time = models.TimeField(_("reminder time"), default=datetime.time(8, 0))
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    advanced = models.BooleanField(
        _("advanced"), default=False, help_text=_("Allows daily sessions once tolerated.")
    )
    preferred_weekdays = models.JSONField(
        _("preferred weekdays"),
        default=list,
        blank=True,
        help_text=_("0 = Monday … 6 = Sunday. Empty: spread over the week."),
    )
    # A new value with every change to the history the progression rule reads (sessions,
    # check-ins, overrides): part of the key of the cached progress (patients.progress).
    history_version = models.UUIDField(default=uuid.uuid4, editable=False)
    # A new value with every change to what the session player shows of the prescription
    # (its items and their exercises): part of the key of the cached items
    # (patients.player.session_items).
    items_version = models.UUIDField(default=uuid.uuid4, editable=False)
    # A new value with every change to what decides the questionnaires due (the schedule,
    # the responses, a questionnaire's title): part of the key of the cached due list
    # (patients.outcomes.due_questionnaires).
    outcomes_version = models.UUIDField(default=uuid.uuid4, editable=False)
    # The patient's local date its stored weeks and stage changes were last evaluated on
    # (patients.reevaluation): a beat task re-evaluates those a new day began for.
    evaluated_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", patient="patient")

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["status", "clinic"])]

    def __str__(self):
        return f"{self.name} — {self.patient}"

    def clean(self):
        errors = {}
        if self.patient_id and self.clinic_id and self.patient.clinic_id != self.clinic_id:
            errors["patient"] = _("The patient belongs to another clinic.")
        if self.therapist_id and self.clinic_id and self.therapist.clinic_id != self.clinic_id:
            errors["therapist"] = _("The therapist works for another clinic.")
        weekdays = self.preferred_weekdays or []
        if not isinstance(weekdays, list) or any(
            not isinstance(day, int) or not 0 <= day <= 6 for day in weekdays
        ):
            errors["preferred_weekdays"] = _("Use weekday numbers from 0 (Monday) to 6 (Sunday).")
        if errors:
            raise ValidationError(errors)


class PrescriptionItem(Dosage):
    """One exercise of a patient's own prescription, with its full dosage."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    note = models.TextField(_("note"), blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="assignment__patient")

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("prescribed exercise")
        verbose_name_plural = _("prescribed exercises")

    def __str__(self):
        return str(self.exercise)


class SessionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class Session(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="sessions")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sessions")
    performed_on = models.DateField(_("date"), help_text=_("The patient's local date."))
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    effort = models.PositiveSmallIntegerField(
        _("effort (0–10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    logged_afterwards = models.BooleanField(_("logged afterwards"), default=False)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="patient")

    class Meta:
        ordering = ["-performed_on", "-started_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [
            models.Index(fields=["assignment", "status", "performed_on"]),
            models.Index(fields=["patient", "performed_on"]),
            # Reports read an assignment's sessions of a date range whatever their status
            # (mean pain, the needs-attention list) from this index alone (id is a key
            # column rather than INCLUDEd: SQLite has no covering indexes).
            models.Index(
                fields=["assignment", "performed_on", "id"], name="session_by_assignment_day"
            ),
        ]

    def __str__(self):
        return f"{self.assignment.name} on {self.performed_on:%Y-%m-%d}"

    @property
    def is_completed(self) -> bool:
        return self.status == SessionStatus.COMPLETED


class ExerciseLog(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="logs")
    item = models.ForeignKey(PrescriptionItem, on_delete=models.CASCADE, related_name="logs")
    sets_done = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(50)])
    reps_done = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(500)])
    pain = models.PositiveSmallIntegerField(
        _("pain (0–10)"), null=True, blank=True, validators=[MaxValueValidator(MAX_PAIN)]
    )
    skipped = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="session__assignment__clinic", patient="session__patient")

    class Meta:
        ordering = ["session", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["session", "item"], name="one_log_per_item"),
            models.CheckConstraint(condition=models.Q(pain__lte=MAX_PAIN), name="pain_at_most_10"),
        ]
        indexes = [
            # Mean pain per patient in reports: read from the index, one probe per session.
            models.Index(fields=["session", "pain"], name="log_pain_by_session"),
            # The needs-attention list: the few logs of high pain and of skips with a
            # reason among a caseload's recent sessions, without reading all their logs.
            models.Index(
                fields=["session", "pain", "completed_at"],
                condition=models.Q(pain__gte=HIGH_PAIN),
                name="high_pain_logs_by_session",
            ),
            models.Index(
                fields=["session"],
                condition=models.Q(skipped=True) & ~models.Q(skip_reason=""),
                name="reasoned_skips_by_session",
            ),
        ]

    def __str__(self):
        return f"{self.item.exercise} in {self.session}"


class Answer(models.TextChoices):
    """The engine's check-in answers (``progression.Answer``) with their labels."""

    FINE = progression.Answer.FINE.value, _("Fine")
    SORE = progression.Answer.SORE.value, _("A bit sore (normal)")
    VERY_SORE = progression.Answer.VERY_SORE.value, _("Very sore")
    PAINFUL = progression.Answer.PAINFUL.value, _("Sketchy or painful")


class CheckIn(models.Model):
    """The next-day answer about one completed session."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="checkin")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    answer = models.CharField(_("how do you feel?"), max_length=10, choices=Answer.choices)
    answered_on = models.DateField(help_text=_("The patient's local date of the answer."))
    answered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="session__assignment__clinic", patient="patient")

    class Meta:
        ordering = ["-answered_on"]
        verbose_name = _("next-day check-in")
        verbose_name_plural = _("next-day check-ins")
        # Check-in flags and the needs-attention list look for the few bad answers by day.
        indexes = [
            models.Index(
                fields=["answered_on"],
                condition=models.Q(answer__in=["very_sore", "painful"]),
                name="flagged_checkins_by_day",
            ),
            # ... and a caseload's by patient: a probe per patient, not every clinic's day,
            # read from the index alone.
            models.Index(
                fields=["patient", "answered_on", "answer", "answered_at", "session"],
                condition=models.Q(answer__in=["very_sore", "painful"]),
                name="flagged_checkins_by_patient",
            ),
        ]

    def __str__(self):
        return f"{self.get_answer_display()} after {self.session}"


class ChangeKind(models.TextChoices):
    """The engine's kinds of stage change (``progression.ChangeKind``) with their labels."""

    PROMOTION = progression.ChangeKind.PROMOTION.value, _("Moved up")
    BACK_OFF = progression.ChangeKind.BACK_OFF.value, _("Backed off")
    OVERRIDE = progression.ChangeKind.OVERRIDE.value, _("Set by therapist")
    ALERT = progression.ChangeKind.ALERT_ONLY.value, _("Pain alert")


class StageChange(models.Model):
    """A change of an assignment's stage, with its reason in plain language."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="stage_changes"
    )
    effective_on = models.DateField(_("from"))
    evaluated_week_start = models.DateField(null=True, blank=True)
    from_stage = models.CharField(max_length=30, blank=True)
    to_stage = models.CharField(max_length=30)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    reason = models.TextField(_("reason"))
    alert_therapist = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    alert_emailed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="assignment__patient")

    class Meta:
        ordering = ["-effective_on", "-created_at"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "effective_on", "kind", "to_stage"],
                condition=~models.Q(kind="override"),
                name="one_computed_change_per_day",
            )
        ]
        # The few open pain alerts (needs-attention list, the admin's alert filter) without
        # reading every stage change ever recorded.
        indexes = [
            models.Index(
                fields=["assignment"],
                condition=models.Q(alert_therapist=True, acknowledged_at__isnull=True),
                name="open_alerts_by_assignment",
            )
        ]

    def __str__(self):
        return f"{self.from_stage} → {self.to_stage} on {self.effective_on}"


class ProgramWeek(models.Model):
    """One program week as the progression rule decided it, stored for set-based reports.

    The rule (back-offs restart the evaluation week, overrides cut it) cannot be
    re-derived in SQL, so ``patients.reevaluation`` stores its weeks here; sessions are
    counted against them in the database.
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="weeks")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), help_text=_("Inclusive."))
    stage = models.CharField(_("stage"), max_length=30)
    planned = models.PositiveSmallIntegerField(_("planned sessions"))
    # ISO dates: the days reminders are sent on, used for "two planned sessions missed".
    planned_days = models.JSONField(default=list, blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="assignment__patient")

    class Meta:
        ordering = ["assignment", "starts_on"]
        verbose_name = _("program week")
        verbose_name_plural = _("program weeks")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "starts_on"], name="one_week_per_start"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="week_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["assignment", "ends_on"])]

    def __str__(self):
        return f"{self.assignment} {self.starts_on}–{self.ends_on} ({self.stage})"


class ReminderStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Reminder(models.Model):
    """At most one reminder message per patient and local day, claimed before it is sent."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    local_date = models.DateField()
    due_at = models.DateTimeField()
    includes_session = models.BooleanField(default=False)
    includes_checkin = models.BooleanField(default=False)
    # What the message says, decided when it was claimed: [{"kind": "session" | "checkin",
    # "assignment": id, "name": ..., "session": id (check-ins only)}].
    items = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.CLAIMED
    )
    claimed_at = models.DateTimeField(auto_now_add=True)
    # When the row last entered "claimed" or "sending": the reconciler takes over rows
    # that stay there longer than any worker would.
    locked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="patient__clinic", patient="patient")

    class Meta:
        ordering = ["-local_date"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "local_date"], name="one_reminder_per_patient_per_day"
            )
        ]
        indexes = [models.Index(fields=["status", "locked_at"])]

    def __str__(self):
        return f"Reminder for {self.patient} on {self.local_date}"


MAX_MESSAGE_LENGTH = 2000


class MessageQuerySet(ScopedQuerySet):
    def unread_by_staff(self):
        return self.filter(from_patient=True, read_at__isnull=True)

    def unread_by_patient(self):
        return self.filter(from_patient=False, read_at__isnull=True)


class Message(models.Model):
    """One message of the thread between a patient and their clinic's therapists."""

    # Stored beside the patient, as on assignments: the home counts unread messages of a
    # caseload by an indexed column.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="messages")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_patient = models.BooleanField(_("from the patient"))
    body = models.TextField(_("message"), max_length=MAX_MESSAGE_LENGTH)
    # The session the patient wrote it at the end of (the former session note).
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()
    tenancy = Tenancy(clinic="clinic", patient="patient")

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["patient", "created_at"], name="message_thread"),
            # Unread counts (home, today page) read only the few unread rows.
            models.Index(
                fields=["patient", "from_patient"],
                condition=models.Q(read_at__isnull=True),
                name="unread_messages_by_patient",
            ),
        ]

    def __str__(self):
        return f"{_('Message')} #{self.pk}"


class AssignmentQuestionnaire(QuestionnaireSchedule):
    """When a patient's program asks for a questionnaire; copied from the program, editable."""

    owner = "assignment"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="questionnaires"
    )

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="assignment__patient")

    class Meta(QuestionnaireSchedule.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "questionnaire"], name="unique_assignment_questionnaire"
            )
        ]


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Sent")


class OutcomeResponse(models.Model):
    """A patient's answers to one questionnaire on one occasion.

    Saved as the patient goes (a draft) and resumable; once sent it is never changed. A
    correction is a new response that supersedes it; both are kept, and the current one
    of an occasion is the one nothing supersedes. The score is computed when it is sent,
    by the pure rule of its own version (``programs.outcomes.score``).
    """

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="outcome_responses"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="outcome_responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="+")
    occasion = models.DateField(_("due on"), help_text=_("The patient's local date it was due."))
    status = models.CharField(
        max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    score = models.FloatField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text=_("The sent response this one corrects."),
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_on = models.DateField(null=True, blank=True, help_text=_("The patient's local date."))

    objects = ScopedQuerySet.as_manager()
    tenancy = Tenancy(clinic="assignment__clinic", patient="patient")

    class Meta:
        ordering = ["occasion", "started_at", "pk"]
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        constraints = [
            # One first response per occasion: starting twice resumes the same one.
            models.UniqueConstraint(
                fields=["assignment", "questionnaire", "occasion"],
                condition=models.Q(supersedes__isnull=True),
                name="unique_first_response_per_occasion",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(submitted_at__isnull=False, score__isnull=False),
                name="submitted_response_has_score",
            ),
        ]
        indexes = [
            models.Index(fields=["assignment", "questionnaire", "status"]),
            # The needs-attention list compares each questionnaire's first and latest
            # score of a whole clinic's caseload: read in order from the index alone.
            models.Index(
                fields=[
                    "assignment",
                    "questionnaire",
                    "occasion",
                    "submitted_at",
                    "score",
                    "submitted_on",
                    "version",
                    "id",
                ],
                condition=models.Q(status=ResponseStatus.SUBMITTED),
                name="submitted_outcomes_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.questionnaire} — {self.occasion}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ResponseStatus.SUBMITTED
