"""A patient's page as their story: a timeline of what they did and said, the prescription
beside it, each program's questionnaire scores, and the thread of messages with a reply box.

The timeline covers a window of weeks (``?until=`` moves it back); each kind of record is
one query for the window, so the page costs the same for a patient of ten sessions or
of three hundred.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.audit import audit_record
from clinic.models import AuditAction
from patients.forms import MessageForm
from patients.messages import message_send, messages_read
from patients.models import (
    Assignment,
    AssignmentStatus,
    CheckIn,
    ExerciseLog,
    Message,
    Patient,
    PrescriptionItem,
    Reminder,
    ReminderStatus,
    Session,
    StageChange,
)
from patients.player import dosage_in_words
from patients.progress import assignment_progress, stages_prefetch, therapist_reasons

from . import adherence, home, outcomes

WINDOW = datetime.timedelta(weeks=4)
THREAD_SHOWN = 20


def _patient(request, patient_id: int) -> Patient:
    if not request.user.has_perm("patients.view_patient"):
        raise PermissionDenied
    return get_object_or_404(
        Patient.objects.visible_to(request.user).select_related("therapist__user", "clinic"),
        pk=patient_id,
    )


def _until(request, today: datetime.date) -> datetime.date:
    """The last day of the window: ?until=YYYY-MM-DD within a year back, else today."""
    try:
        until = datetime.date.fromisoformat(request.GET.get("until", ""))
    except ValueError:
        return today
    return min(today, max(until, today - datetime.timedelta(days=366)))


def _timeline(request, patient, assignments, start, until) -> list[dict]:
    """Days newest first, each with its sessions (and their logs and check-in), stage
    changes, reminders sent and messages.

    The programs and their items come from the prescription beside it (`assignments`, with
    their items prefetched): only an ended program's are read again.
    """
    user = request.user
    # Every kind on every day, if empty: a key the template misses costs it three exceptions.
    days: dict[datetime.date, dict[str, list]] = defaultdict(
        lambda: {"sessions": [], "changes": [], "reminders": [], "messages": []}
    )
    sessions = list(
        Session.objects.visible_to(user)
        .filter(patient=patient, performed_on__range=(start, until))
        .select_related("checkin")
        .order_by("-performed_on", "-started_at")
    )
    programs = {assignment.pk: assignment for assignment in assignments}
    ended = {session.assignment_id for session in sessions} - programs.keys()
    if ended:
        programs |= Assignment.objects.visible_to(user).in_bulk(ended)
    logs_by_session = defaultdict(list)
    if sessions:
        for log in ExerciseLog.objects.filter(session__in=[s.pk for s in sessions]).order_by(
            "item__order", "pk"
        ):
            logs_by_session[log.session_id].append(log)
    words = _TimelineWords(assignments, logs_by_session.values())
    for session in sessions:
        checkin = getattr(session, "checkin", None)
        days[session.performed_on]["sessions"].append(
            {
                "session": session,
                "assignment": programs[session.assignment_id],
                "checkin": checkin,
                "checkin_said": checkin and words.checkin_said(checkin),
                "effort_said": words.effort_said(session.effort),
                "logs": log_rows(logs_by_session[session.pk], words),
            }
        )
    changes = list(
        StageChange.objects.visible_to(user)
        .filter(assignment__patient=patient, effective_on__range=(start, until))
        .order_by("-effective_on", "-created_at")
    )
    reasons = therapist_reasons(changes, assignments)
    for change in changes:
        days[change.effective_on]["changes"].append(
            {"change": change, "reason": reasons[change.pk]}
        )
    reminders = (
        Reminder.objects.visible_to(user)
        .filter(patient=patient, status=ReminderStatus.SENT, local_date__range=(start, until))
        .values("local_date", "includes_session", "includes_checkin")
    )
    for reminder in reminders:
        days[reminder["local_date"]]["reminders"].append(words.reminder_said(reminder))
    zone = zoneinfo.ZoneInfo(patient.timezone)
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    upto = datetime.datetime.combine(
        until + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    for message in Message.objects.visible_to(user).filter(
        patient=patient, created_at__gte=since, created_at__lt=upto
    ):
        days[message.created_at.astimezone(zone).date()]["messages"].append(message)
    return [{"day": day, **days[day]} for day in sorted(days, reverse=True)]


class _TimelineWords:
    """The timeline's words: translated once a page, each item's cells once.

    The items are the prescription's (`assignments`' prefetched items); an item of an
    ended program among the `logs` is read in one query.
    """

    def __init__(self, assignments, logs: Iterable[list[ExerciseLog]]):
        self.skipped = _("Skipped")
        self.done = _("%(sets)s × %(reps)s")
        self.hold = _("hold %(s)s s")
        self.effort = _("effort %(effort)s/10")
        self.checkin = _("Next-day check-in (%(day)s): %(answer)s")
        self.reminder = (_("Reminder sent"), _("session"), _("check-in"))
        self.items = {
            item.pk: item for assignment in assignments for item in assignment.items.all()
        }
        missing = {log.item_id for session_logs in logs for log in session_logs} - self.items.keys()
        if missing:
            self.items |= PrescriptionItem.objects.select_related("exercise").in_bulk(missing)
        self.cells: dict[int, SafeString] = {}

    def checkin_said(self, checkin: CheckIn) -> str:
        return self.checkin % {
            "day": checkin.answered_on.isoformat(),
            "answer": checkin.get_answer_display(),
        }

    def effort_said(self, effort: int | None) -> str:
        return "" if effort is None else self.effort % {"effort": effort}

    def reminder_said(self, reminder: dict) -> str:
        """What a reminder sent asked for: "Reminder sent · session · check-in"."""
        sent, session, checkin = self.reminder
        parts = [sent]
        if reminder["includes_session"]:
            parts.append(session)
        if reminder["includes_checkin"]:
            parts.append(checkin)
        return " · ".join(parts)

    def item_cells(self, item: PrescriptionItem) -> SafeString:
        """The exercise's name and dosage cells, the same in each of its logs' rows."""
        if item.pk not in self.cells:
            self.cells[item.pk] = format_html(
                '<th scope="row">{}</th><td>{}</td>', item.exercise.name, dosage_in_words(item)
            )
        return self.cells[item.pk]


def log_rows(logs, words: _TimelineWords) -> SafeString:
    """A session's exercise logs as table rows, written here rather than by the template:
    a month of sessions' rows through template tags cost about a third of the page."""
    return format_html_join("", "{}", ((log_row(log, words),) for log in logs))


def log_row(log: ExerciseLog, words: _TimelineWords) -> SafeString:
    item = words.items[log.item_id]
    if log.skipped:
        done = format_html("<strong>{}</strong>", words.skipped)
        if log.skip_reason:
            done = format_html("{}: “{}”", done, log.skip_reason)
    else:
        done = words.done % {"sets": log.sets_done, "reps": log.reps_done}
        if item.hold_seconds:
            done = format_html("{} · {}", done, words.hold % {"s": item.hold_seconds})
    if log.pain is None:
        pain = mark_safe('<td class="num">–</td>')
    else:
        pain = format_html(
            '<td class="num{}">{}/10</td>', " high-pain" if log.pain >= 7 else "", log.pain
        )
    return format_html(
        "<tr{}>{}<td>{}</td>{}</tr>",
        mark_safe(' class="skipped"') if log.skipped else "",
        words.item_cells(item),
        done,
        pain,
    )


def _prescription(assignments, today) -> list[dict]:
    trends = outcomes.assignments_outcomes(assignments)  # one query for all programs
    cards = []
    for assignment in assignments:
        progress = assignment_progress(assignment, today)
        cards.append(
            {
                "assignment": assignment,
                "stage": progress.current_stage,
                "week": progress.current_week,
                "items": [
                    {"item": item, "dosage": dosage_in_words(item)}
                    for item in assignment.items.all()
                ],
                "outcome_trends": trends.get(assignment.pk, []),
            }
        )
    return cards


def patient_story(request, patient_id: int):
    return _story_response(request, _patient(request, patient_id), MessageForm())


def _story_response(
    request, patient, reply_form, status: int = 200, *, mark_read: bool = True
) -> TemplateResponse:
    """The story page, with the reply box as given (a refused reply keeps its text and,
    as it changes nothing, leaves the patient's new messages unread)."""
    today = adherence.clinic_today(patient.clinic.timezone)
    until = _until(request, today)
    start = until - WINDOW + datetime.timedelta(days=1)
    items = PrescriptionItem.objects.select_related("exercise").order_by("order", "pk")
    assignments = list(
        Assignment.objects.visible_to(request.user)
        .filter(patient=patient)
        .exclude(status=AssignmentStatus.ENDED)
        .select_related("scheme")
        .prefetch_related(stages_prefetch(), Prefetch("items", queryset=items))
        .order_by("status", "-start_date")
    )
    audit_record(action=AuditAction.VIEW, request=request, obj=patient)
    thread = list(
        Message.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("author")
        .order_by("-created_at", "-pk")[:THREAD_SHOWN]
    )
    thread.reverse()
    for message in thread:
        message.unread_by_reader = message.from_patient and message.read_at is None
    if mark_read and any(message.unread_by_reader for message in thread):
        messages_read(patient=patient, by_patient=False)
    context = {
        **admin.site.each_context(request),
        "title": str(patient),
        "patient": patient,
        "prescription": _prescription(assignments, today),
        "timeline": _timeline(request, patient, assignments, start, until),
        "start": start,
        "until": until,
        "older": start - datetime.timedelta(days=1),
        "newer": until + WINDOW if until < today else None,
        "today": today,
        "thread": thread,
        "reply_box": request.user.has_perm("patients.add_message")
        and home.ReplyBox(reply_form, get_token(request))(
            reverse("patient_reply", args=[patient.pk]), f"reply-{patient.pk}"
        ),
        "can_change": request.user.has_perm("patients.change_assignment"),
    }
    return TemplateResponse(request, "admin/reports/story.html", context, status=status)


def _home_response(request, patient, reply_form, box: str) -> TemplateResponse | None:
    """The home again with the refused reply in its box (the box it was written in), or
    None when the patient is no longer on the home's needs-attention list."""
    response = home.therapist_home(request)
    attention = getattr(response, "context_data", None) or {}
    entries = [
        entry
        for entry in attention.get("attention", ())
        if entry["item"].patient_id == patient.pk and entry["reply"]
    ]
    if not entries:
        return None
    entry = next((e for e in entries if str(e["item"].assignment_id) == box), entries[0])
    entry["refused"] = True
    entry["reply"] = home.ReplyBox(reply_form, get_token(request)).for_attention(
        entry["item"], reverse("patient_reply", args=[patient.pk])
    )
    response.status_code = 400
    return response


@require_POST
def patient_reply(request, patient_id: int):
    """The therapist's reply, from the patient's page or the home (next=home).

    A refused reply (empty, too long) changes nothing and keeps the text: the page it was
    written on comes back with the text in its box and the reason beside it (the story
    page when the patient has left the home's list meanwhile).
    """
    patient = _patient(request, patient_id)
    if not request.user.has_perm("patients.add_message"):
        raise PermissionDenied
    form = MessageForm(request.POST)
    back_home = request.POST.get("next") == "home"
    if form.is_valid():
        try:
            message_send(
                patient=patient,
                author=request.user,
                body=form.cleaned_data["body"],
                from_patient=False,
                request=request,
            )
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages_read(patient=patient, by_patient=False)
            messages.success(
                request, _("Your reply to %(patient)s is sent.") % {"patient": patient}
            )
            if back_home:
                return HttpResponseRedirect(reverse("admin:index"))
            return HttpResponseRedirect(reverse("patient_story", args=[patient.pk]) + "#thread")
    if back_home:
        response = _home_response(request, patient, form, request.POST.get("box", ""))
        if response is not None:
            return response
    return _story_response(request, patient, form, status=400, mark_read=False)
