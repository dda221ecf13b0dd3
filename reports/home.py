"""A therapist's home, the admin's index for clinic staff: who needs attention, then the caseload.

Everything on it is computed in the database a page at a time: the needs-attention list
(``adherence.needs_attention``, the one definition), then one page of the caseload with
its stage, this week, the last four weeks (``adherence.patient_rows`` and
``week_rows_stream`` over the page's assignments) and unread messages. The number of
queries does not grow with the caseload.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count
from django.middleware.csrf import get_token
from django.template.defaultfilters import floatformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.models import Clinic, Role
from clinic.tenancy import staff_clinic_id
from patients.forms import MessageForm
from patients.models import Assignment, AssignmentStatus, Message, Patient

from . import adherence, charts

PAGE_SIZE = 25  # a screenful or two of patients: what a therapist looks through
ATTENTION_SHOWN = 30
SPARK_WEEKS = 4


def caseload(user, *, everyone: bool):
    """The active assignments on the home: the user's patients, or the whole clinic's."""
    assignments = Assignment.objects.visible_to(user).filter(status=AssignmentStatus.ACTIVE)
    if everyone:
        return assignments
    # Her programs and her patients' programs, as the union of two index scans: each of the
    # home's queries embeds this one, and PostgreSQL estimates an "or" with a subquery at
    # half the clinic, then hashes every patient and assignment of the clinic to join a
    # few dozen (the needs-attention query took half as long again).
    staff_id = user.staff.pk
    visible = Assignment.objects.visible_to(user).order_by().values("pk")
    hers = visible.filter(therapist_id=staff_id)
    her_patients = visible.filter(
        patient__in=Patient.objects.visible_to(user).filter(therapist_id=staff_id)
    )
    return assignments.filter(pk__in=hers.union(her_patients))


_SPARK_BAR = (
    '<rect class="chart-bar {}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
)


def spark_svg(weeks, label: str) -> SafeString:
    """The last weeks' adherence as inline SVG, on the report chart's own geometry drawn
    small: written here rather than by a template, as fifty rows of localized coordinates
    cost more than the page's queries."""
    bars = "".join(
        _SPARK_BAR.format(
            charts.band(week.adherence),
            *charts.adherence_bar(index, len(weeks), week.adherence),
            escape(f"{week.starts_on:%d %b}–{week.ends_on:%d %b}: {week.completed}/{week.planned}"),
        )
        for index, week in enumerate(weeks)
    )
    frame, label = charts.FRAME, escape(label)
    return mark_safe(  # numbers, and the escaped label and titles
        f'<svg class="spark" viewBox="0 0 {frame.width} {frame.height}" '
        f'preserveAspectRatio="none" role="img" aria-label="{label}"><title>{label}</title>'
        f'<line class="chart-grid" x1="{frame.left}" x2="{frame.right_edge}" '
        f'y1="{frame.baseline}" y2="{frame.baseline}"></line>{bars}</svg>'
    )


def _sparks(scope) -> dict[int, SafeString]:
    ended: dict[int, list] = defaultdict(list)
    for week in adherence.week_rows(scope):
        if not week.in_progress:
            ended[week.assignment_id].append(week)
    label = _("Adherence of the last %(n)d weeks, week by week") % {"n": SPARK_WEEKS}
    return {key: spark_svg(weeks[-SPARK_WEEKS:], label) for key, weeks in ended.items()}


# A value no id takes, reversed once into each URL the page repeats per patient.
_ID_MARK = 987654321


def url_for_each(name: str):
    """Return a function from an object's id to the URL ``name`` takes it in: reversed once
    a page rather than once a row (30 attention items and 25 rows link three ways each)."""
    pattern = reverse(name, args=[_ID_MARK])
    marker = str(_ID_MARK)
    return lambda pk: pattern.replace(marker, str(int(pk)))


class ReplyBox:
    """The therapist's reply form, on the story and in each needs-attention item.

    Written here rather than by an included template, which cost the home more than its
    queries with thirty items; the words, the page's CSRF token (one masked value for all
    its forms) and the form's state are escaped once a page, each box adds its own address.
    """

    def __init__(self, form, token: str):
        field = form["body"]
        self.errors = field.errors
        self.head = format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
        )
        self.label = escape(_("Reply to the patient"))
        self.send = escape(_("Send the reply"))
        self.max_length = int(form.fields["body"].max_length)
        self.value = escape(field.value() or "")

    def __call__(self, action: str, field_id: str, **hidden) -> SafeString:
        field_id = escape(field_id)
        fields = "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in hidden.items()
            if value
        )
        invalid = errors = ""
        if self.errors:
            invalid = f' aria-invalid="true" aria-describedby="{field_id}-error" autofocus'
            errors = format_html(
                '<div class="reply-errors" id="{}-error" role="alert">{}</div>',
                field_id,
                self.errors,
            )
        return mark_safe(  # every part above is escaped
            f'<form method="post" action="{escape(action)}" class="reply-form">{self.head}'
            f'{fields}<label for="{field_id}">{self.label}</label><textarea id="{field_id}" '
            f'name="body" rows="3" maxlength="{self.max_length}" required{invalid}>\n'
            f"{self.value}</textarea>{errors}"
            f'<button type="submit" class="button default">{self.send}</button></form>'
        )

    def for_attention(self, item, action: str) -> SafeString:
        """A needs-attention item's box: back to the home, to this item's box."""
        return self(
            action,
            f"reply-{item.patient_id}-{item.assignment_id}",
            next="home",
            box=item.assignment_id,
        )


class AttentionList:
    """The needs-attention items as the home shows them, each with its reasons and its
    actions (open, mark reviewed, reply).

    Written here rather than by the template: thirty items through template tags cost the
    home more than its queries. Rendered when the page is, so a refused reply can still
    put its form in its item's box (``reports.story``).
    """

    def __init__(self, entries: list[dict], *, token: str, can_review: bool):
        self.entries = entries
        self.token = escape(token)
        self.can_review = can_review

    def __bool__(self):
        return bool(self.entries)

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __str__(self) -> SafeString:
        words = {
            "alert": escape(_("Pain alert")),
            "open": escape(_("Open")),
            "review": escape(_("Mark reviewed")),
            "reply": escape(_("Reply")),
        }
        return mark_safe("".join(self._item(entry, words) for entry in self.entries))

    def _item(self, entry: dict, words: dict) -> str:
        item, story = entry["item"], escape(entry["story"])
        tags = f' <span class="tag tag-alert">{words["alert"]}</span>' if item.alerts else ""
        if item.unread:
            unread = ngettext("%(n)s unread message", "%(n)s unread messages", item.unread) % {
                "n": item.unread
            }
            tags += f' <span class="tag tag-unread">{escape(unread)}</span>'
        reasons = "".join(f"<li>{escape(reason)}</li>" for reason in item.reasons)
        acts = f'<a class="button" href="{story}">{words["open"]}</a>'
        if self.can_review:
            acts += (
                f'<form method="post" action="{escape(entry["review"])}">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.token}">'
                '<input type="hidden" name="next" value="home">'
                f'<button type="submit" class="button">{words["review"]}</button></form>'
            )
        if entry["reply"]:
            opened = " open" if entry.get("refused") else ""
            acts += (
                f'<details class="reply"{opened}><summary class="button">{words["reply"]}'
                f"</summary>{entry['reply']}</details>"
            )
        css = "attention-item" + (" has-alert" if item.alerts else "")
        css += " has-unread" if item.unread else ""
        return (
            f'<li class="{css}"><div class="who"><a class="patient" href="{story}">'
            f'{escape(item.patient)}</a> <span class="program">{escape(item.program)}</span>'
            f'{tags}</div><ul class="reasons">{reasons}</ul><div class="acts">{acts}</div></li>'
        )


def caseload_rows(rows, *, story_url, sparks: dict, unread: dict) -> SafeString:
    """The caseload page's table rows, written here rather than by the template (as the
    needs-attention items are): each patient's program, stage, this week, the last weeks
    drawn small, the last session and the unread messages."""
    cells = []
    for row in rows:
        this_week = (
            f"{row.current_completed}/{row.current_planned}"
            if row.current_planned is not None
            else "–"
        )
        spark = sparks.get(row.assignment_id)
        if spark:
            value = "" if row.adherence is None else f"{floatformat(row.adherence, 0)}%"
            spark = f'{spark}<span class="spark-value">{value}</span>'
        count = unread.get(row.patient_id, 0)
        messages = (
            '<span class="tag tag-unread">'
            + escape(ngettext("%(n)s unread", "%(n)s unread", count) % {"n": count})
            + "</span>"
            if count
            else ""
        )
        cells.append(
            f'<tr><th scope="row"><a href="{escape(story_url(row.patient_id))}">'
            f"{escape(row.patient)}</a></th><td>{escape(row.program)}</td>"
            f'<td>{escape(row.stage)}</td><td class="num">{this_week}</td>'
            f"<td>{spark or '–'}</td>"
            f'<td class="date">{row.last_session.isoformat() if row.last_session else "–"}</td>'
            f"<td>{messages}</td></tr>"
        )
    return mark_safe("".join(cells))


def _unread(user, patient_ids) -> dict[int, int]:
    rows = (
        Message.objects.visible_to(user)
        .unread_by_staff()
        .filter(patient_id__in=patient_ids)
        .values("patient_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["patient_id"]: row["n"] for row in rows}


def therapist_home(request):
    """Needs attention first (each with its reasons and one click to act), then my patients."""
    clinic_id = staff_clinic_id(request.user)
    if clinic_id is None:
        return admin.site.index(request)  # a superuser without a clinic: Django's index
    clinic = Clinic.objects.get(pk=clinic_id)
    is_admin = request.user.staff.role == Role.CLINIC_ADMIN
    everyone = is_admin and request.GET.get("scope") == "all"
    assignments = caseload(request.user, everyone=everyone)
    today = adherence.clinic_today(clinic.timezone)
    attention = adherence.needs_attention(assignments, today, clinic.timezone)
    scope = adherence.ReportScope(
        assignments=assignments,
        start=today - datetime.timedelta(days=7 * SPARK_WEEKS),
        end=today,
        today=today,
    )
    page = Paginator(adherence.report_assignment_ids(scope), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows, sparks, unread = [], {}, {}
    if page.object_list:
        # The page's assignments by id alone (read from the caseload just above): the
        # caseload's own conditions would be planned into each of the page's queries.
        page_scope = dataclasses.replace(
            scope,
            assignments=Assignment.objects.visible_to(request.user).filter(pk__in=page.object_list),
        )
        rows = adherence.patient_rows(page_scope)
        sparks = _sparks(page_scope)
        unread = _unread(request.user, {row.patient_id for row in rows})
    story_url = url_for_each("patient_story")
    review_url = url_for_each("admin:reports_adherencereport_review")
    reply_url = url_for_each("patient_reply")
    can_reply = request.user.has_perm("patients.add_message")
    token = get_token(request)
    reply = ReplyBox(MessageForm(), token)
    context = {
        **admin.site.each_context(request),
        "title": _("Your patients today"),
        "clinic": clinic,
        "attention": AttentionList(
            [
                {
                    "item": item,
                    "story": story_url(item.patient_id),
                    "review": review_url(item.assignment_id),
                    "reply": can_reply and reply.for_attention(item, reply_url(item.patient_id)),
                }
                for item in attention[:ATTENTION_SHOWN]
            ],
            token=token,
            can_review=request.user.has_perm("reports.add_attentionreview"),
        ),
        "attention_count": len(attention),
        "rows": caseload_rows(rows, story_url=story_url, sparks=sparks, unread=unread),
        "page": page,
        "is_admin": is_admin,
        "everyone": everyone,
        "today": today,
    }
    return TemplateResponse(request, "admin/reports/home.html", context)
