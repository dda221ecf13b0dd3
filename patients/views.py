import datetime

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db.models import Avg
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.login_links import login_link_check
from clinic.models import LoginLinkPurpose
from programs.progression import adherence_streak

from . import player
from .access import patient_language_use, patient_required
from .checkins import checkin_record
from .forms import (
    CheckInForm,
    ExerciseLogForm,
    FinishForm,
    LanguageForm,
    MessageForm,
    PastSessionForm,
    PatientLoginForm,
    SignInLinkForm,
)
from .history import pain_chart
from .invitations import SIGN_IN_LINK_VALID_FOR, sign_in_link_request
from .links import session_id_from_checkin_token
from .messages import message_send, messages_read, thread_read, thread_summary
from .models import (
    Assignment,
    AssignmentStatus,
    Session,
    SessionStatus,
)
from .outcomes import due_questionnaires, trends_by_assignment
from .pictures import exercise_pictures
from .progress import assignment_progress, local_today, stages_prefetch

# Completed sessions older than this no longer ask for a check-in on the today page.
CHECKIN_OPEN_DAYS = 3

# A link proves who the patient is; sign in through the backend that grants roles
# (patients get none).
PATIENT_LOGIN_BACKEND = "clinic.auth.RoleBackend"


class PatientLoginView(auth_views.LoginView):
    form_class = PatientLoginForm
    template_name = "patients/login.html"
    redirect_authenticated_user = True


def _active_assignments(user):
    # The scheme is part of the progress cache's key (its stages are read on a miss only).
    return (
        Assignment.objects.visible_to(user)
        .filter(status=AssignmentStatus.ACTIVE)
        .select_related("scheme")
    )


@patient_required
def home(request):
    """Today: per program, what is planned, how the week goes, and a Start button."""
    assignments = list(_active_assignments(request.user))
    todays = {assignment.pk: local_today(assignment) for assignment in assignments}
    recent = []
    if assignments:
        # One query for every program: today's sessions and those awaiting a check-in.
        since = min(todays.values()) - datetime.timedelta(days=CHECKIN_OPEN_DAYS)
        recent = list(
            Session.objects.visible_to(request.user)
            .filter(assignment__in=assignments, performed_on__gte=since)
            .select_related("checkin")
            .order_by("performed_on", "started_at")
        )
    cards, pending_checkins = [], []
    for assignment in assignments:
        today = todays[assignment.pk]
        progress = assignment_progress(assignment, today)
        week = progress.current_week
        mine = [session for session in recent if session.assignment_id == assignment.pk]
        done_today = sum(1 for s in mine if s.performed_on == today and s.is_completed)
        resumable = next((s for s in mine if s.performed_on == today and not s.is_completed), None)
        upcoming = [day for day in week.planned_days if day > today]
        cards.append(
            {
                "assignment": assignment,
                "today": today,
                "started": today >= assignment.start_date,
                "planned_today": today in week.planned_days,
                "done_today": done_today,
                "resumable": resumable,
                "week": week,
                "stage": progress.current_stage,
                "next_day": upcoming[0] if upcoming else None,
            }
        )
        pending_checkins += [
            s
            for s in mine
            if s.is_completed
            and today - datetime.timedelta(days=CHECKIN_OPEN_DAYS) <= s.performed_on < today
            and getattr(s, "checkin", None) is None
        ]
    summary = thread_summary(request.patient)
    if summary.unread:
        # The page that shows the clinic's new messages is the one that marks them read.
        messages_read(patient=request.patient, by_patient=True)
    return render(
        request,
        "patients/home.html",
        {
            "patient": request.patient,
            "cards": cards,
            "pending_checkins": pending_checkins,
            "messages_recent": summary.latest,
            "unread": summary.unread,
            "message_form": MessageForm(),
            "questionnaires": due_questionnaires(assignments, todays),
        },
    )


def _thread(request) -> list:
    """The patient's whole thread, oldest first; the clinic's unread replies are marked and
    then counted as read (the page that lists them is the one that shows them)."""
    thread = thread_read(request.patient)
    if any(message.unread_by_reader for message in thread):
        messages_read(patient=request.patient, by_patient=True)
    return thread


@require_http_methods(["GET", "POST"])
@patient_required
def thread(request):
    """The patient's messages with the clinic: read them all, write one."""
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_send(
                patient=request.patient,
                author=request.user,
                body=form.cleaned_data["body"],
                from_patient=True,
                request=request,
            )
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages.success(request, _("Your message is sent to your clinic."))
            target = "patients:home" if request.POST.get("next") == "home" else "patients:messages"
            return redirect(target)
    status = 400 if form.errors else 200
    return render(
        request,
        "patients/messages.html",
        {"thread": _thread(request), "form": form},
        status=status,
    )


@require_POST
@patient_required
def session_start(request, assignment_id):
    assignment = get_object_or_404(_active_assignments(request.user), pk=assignment_id)
    try:
        session = player.session_start(assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patients:home")
    return redirect("patients:session", session.pk)


def _own_session(request, session_id):
    """The patient's own session, or 404: another patient's session does not exist for them."""
    return get_object_or_404(
        Session.objects.visible_to(request.user).select_related("assignment"), pk=session_id
    )


def _logs(session):
    """The session's logs by item (unordered: the items give the order)."""
    return {log.item_id: log for log in session.logs.order_by()}


def _entries(items, logs):
    return [{"item": item, "log": logs.get(item.pk)} for item in items]


@patient_required
def session_player(request, session_id):
    """One exercise at a time: the first one without a log, or the one asked for."""
    session = _own_session(request, session_id)
    items = player.session_items(request.user, session)
    logs = _logs(session)
    if session.is_completed:
        return render(
            request,
            "patients/session_done.html",
            {"session": session, "entries": _entries(items, logs)},
        )
    wanted = request.GET.get("item")
    current = next((item for item in items if str(item.pk) == wanted), None) or next(
        (item for item in items if item.pk not in logs), None
    )
    if current is None:
        return render(
            request,
            "patients/session_finish.html",
            {"session": session, "entries": _entries(items, logs), "form": FinishForm()},
        )
    return _render_exercise(request, session, items, logs, current, form=None)


def _render_exercise(request, session, items, logs, current, form, status=200):
    log = logs.get(current.pk)
    if form is None:
        initial = (
            {
                "sets_done": log.sets_done,
                "reps_done": log.reps_done,
                "pain": log.pain,
                "skip_reason": log.skip_reason,
            }
            if log
            else {"sets_done": current.sets, "reps_done": current.reps}
        )
        form = ExerciseLogForm(initial=initial)
    position = items.index(current) + 1
    return render(
        request,
        "patients/session_player.html",
        {
            "session": session,
            "entries": _entries(items, logs),
            "item": current,
            "exercise": current.exercise,
            "video": current.exercise.video,
            "pictures": exercise_pictures(current.exercise),
            "dosage": player.dosage_in_words(current),
            "position": position,
            "count": len(items),
            "form": form,
            "log": log,
        },
        status=status,
    )


@require_POST
@patient_required
def exercise_log(request, session_id, item_id):
    """Save one exercise's log, then go to the next one (POST/redirect/GET)."""
    session = _own_session(request, session_id)
    if session.is_completed:
        messages.info(request, _("This session is finished already; nothing was changed."))
        return redirect("patients:session", session.pk)
    items = player.session_items(request.user, session)
    item = next((item for item in items if item.pk == item_id), None)
    if item is None:
        raise Http404
    skipping = "skip" in request.POST
    form = ExerciseLogForm(request.POST, skipping=skipping)
    if form.is_valid():
        data = form.cleaned_data
        try:
            player.exercise_log_save(
                session=session,
                item=item,
                sets_done=data["sets_done"] or 0,
                reps_done=data["reps_done"] or 0,
                pain=data["pain"],
                skipped=skipping,
                skip_reason=data["skip_reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("patients:session", session.pk)
    logs = _logs(session)
    return _render_exercise(request, session, items, logs, item, form=form, status=400)


@require_POST
@patient_required
def session_finish(request, session_id):
    """Complete the session with effort and a note; a second submit changes nothing."""
    session = _own_session(request, session_id)
    if session.is_completed:
        return redirect("patients:session", session.pk)
    form = FinishForm(request.POST)
    if form.is_valid():
        try:
            player.session_finish(
                session=session,
                effort=form.cleaned_data["effort"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Well done: your session is saved."))
            return redirect("patients:session", session.pk)
    items = player.session_items(request.user, session)
    logs = _logs(session)
    return render(
        request,
        "patients/session_finish.html",
        {"session": session, "entries": _entries(items, logs), "form": form},
        status=400,
    )


@require_http_methods(["GET", "POST"])
@patient_required
def session_checkin(request, session_id):
    """The next-day question for a signed-in patient: GET shows it, POST answers."""
    session = get_object_or_404(
        Session.objects.visible_to(request.user).select_related("assignment", "checkin"),
        pk=session_id,
    )
    form = CheckInForm(request.POST or None, initial=_current_answer(session))
    if request.method == "POST" and form.is_valid():
        try:
            checkin_record(session=session, answer=form.cleaned_data["answer"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "patients/checkin_thanks.html", {"session": session})
    status = 400 if form.errors else 200
    return render(
        request, "patients/checkin.html", {"session": session, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@patient_required
def session_log_past(request):
    """Log a session done earlier, up to 7 days back."""
    assignments = _active_assignments(request.user)
    first = assignments.first()
    if first is None:
        messages.info(request, _("You have no active program to log a session for."))
        return redirect("patients:home")
    today = local_today(first)
    form = PastSessionForm(
        request.POST or None,
        assignments=assignments,
        today=today,
        initial={"assignment": first, "performed_on": today - datetime.timedelta(days=1)},
    )
    ask_another = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            player.session_log_past(
                assignment=data["assignment"],
                performed_on=data["performed_on"],
                effort=data["effort"],
                note=data["note"],
                another=request.POST.get("another") == "yes",
                request=request,
            )
        except player.SessionAlreadyLogged:
            ask_another = True
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The session is logged. Thank you!"))
            return redirect("patients:home")
    status = 409 if ask_another else 400 if form.errors else 200
    return render(
        request,
        "patients/log_past.html",
        {"form": form, "ask_another": ask_another},
        status=status,
    )


@patient_required
def history(request):
    """Weeks done and planned, the streak, the pain trend and the stage changes."""
    # The stages name the changes.
    assignments = list(_active_assignments(request.user).prefetch_related(stages_prefetch()))
    pain_rows = (
        Session.objects.visible_to(request.user)
        .filter(assignment__in=assignments, status=SessionStatus.COMPLETED)
        .annotate(mean_pain=Avg("logs__pain"))
        .filter(mean_pain__isnull=False)
        .order_by("performed_on", "started_at")
        .values_list("assignment_id", "performed_on", "mean_pain")
    )
    pains: dict[int, list] = {}
    for assignment_id, day, pain in pain_rows:
        pains.setdefault(assignment_id, []).append((day, float(pain)))
    outcome_trends = trends_by_assignment(assignments)
    cards = []
    for assignment in assignments:
        progress = assignment_progress(assignment)
        names = {stage.code: stage.name for stage in assignment.scheme.stages.all()}
        cards.append(
            {
                "assignment": assignment,
                "weeks": list(reversed(progress.weeks)),
                "stage": progress.current_stage,
                "streak": adherence_streak(progress.weeks),
                "chart": pain_chart(pains.get(assignment.pk, [])),
                "outcomes": outcome_trends.get(assignment.pk, []),
                "changes": [
                    {
                        "on": change.on,
                        "to": names.get(change.to_stage, change.to_stage),
                        "reason": change.reason,
                    }
                    for change in reversed(progress.changes)
                ],
            }
        )
    return render(request, "patients/history.html", {"cards": cards})


@require_http_methods(["GET", "POST"])
def checkin_link(request, token):
    """The next-day question reached from an email: GET shows it, only POST answers."""
    session_id = session_id_from_checkin_token(token)
    session = (
        Session.objects.select_related("assignment__clinic", "patient", "checkin")
        .filter(pk=session_id)
        .first()
        if session_id
        else None
    )
    if session is None:
        return render(request, "patients/checkin_link_invalid.html", status=404)
    patient_language_use(request, session.patient)
    data = request.POST if request.method == "POST" else None
    form = CheckInForm(data, initial=_current_answer(session))
    if request.method == "POST" and form.is_valid():
        try:
            checkin_record(session=session, answer=form.cleaned_data["answer"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "patients/checkin_thanks.html", {"session": session})
    return render(request, "patients/checkin.html", {"session": session, "form": form})


def _current_answer(session):
    checkin = getattr(session, "checkin", None)
    return {"answer": checkin.answer} if checkin else {}


def _link_problem(request, check, status=410):
    return render(request, "patients/link_invalid.html", {"problem": check.problem}, status=status)


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """Choose a password from the invitation link; the link is spent when it is saved."""
    check = login_link_check(token=token, purpose=LoginLinkPurpose.INVITATION)
    if not check.ok:
        return _link_problem(request, check)
    user = check.link.user
    if getattr(user, "patient", None) is not None:
        patient_language_use(request, user.patient)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not check.link.use():
            return _link_problem(request, login_link_check(token=token, purpose=check.link.purpose))
        form.save()
        login(request, user, backend=PATIENT_LOGIN_BACKEND)
        messages.success(request, _("Your password is saved. Welcome!"))
        return redirect("patients:home")
    return render(request, "patients/invitation.html", {"form": form, "invitee": user})


@require_http_methods(["GET", "POST"])
def reminder_link(request, token):
    """A reminder's "open today's session": GET shows a button (safe for mail scanners); the
    POST signs the patient in with the link when they are signed out on this device
    (spending it), then opens today's session."""
    check = login_link_check(token=token, purpose=LoginLinkPurpose.REMINDER)
    signed_in = check.link is not None and request.user.pk == check.link.user_id
    if not check.ok and not signed_in:
        return _link_problem(request, check)
    if request.method == "POST":
        if not signed_in:
            if not check.link.use():
                return _link_problem(
                    request, login_link_check(token=token, purpose=check.link.purpose)
                )
            login(request, check.link.user, backend=PATIENT_LOGIN_BACKEND)
        return _todays_session(request)
    return render(request, "patients/reminder_link.html")


def _todays_session(request):
    """Open today's session of the patient's one program; with several, the today page."""
    assignments = list(_active_assignments(request.user)[:2])
    if len(assignments) != 1:
        return redirect("patients:home")
    try:
        session = player.session_start(assignment=assignments[0])
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect("patients:home")
    return redirect("patients:session", session.pk)


@require_http_methods(["GET", "POST"])
def sign_in_link_ask(request):
    """Ask for a sign-in link by email; the answer never says whether the address is known."""
    form = SignInLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sign_in_link_request(email=form.cleaned_data["email"])
        minutes = int(SIGN_IN_LINK_VALID_FOR.total_seconds() // 60)
        return render(request, "patients/sign_in_link_sent.html", {"minutes": minutes})
    return render(request, "patients/sign_in_link_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def sign_in_link(request, token):
    """GET shows a Sign in button (safe for mail scanners); only the POST spends the link."""
    check = login_link_check(token=token, purpose=LoginLinkPurpose.SIGN_IN)
    if not check.ok:
        return _link_problem(request, check)
    if request.method == "POST":
        if not check.link.use():
            return _link_problem(request, login_link_check(token=token, purpose=check.link.purpose))
        login(request, check.link.user, backend=PATIENT_LOGIN_BACKEND)
        return redirect(reverse("patients:home"))
    # The page names nobody: a forwarded or prefetched link shows no address.
    return render(request, "patients/sign_in_link.html")


@require_http_methods(["GET", "POST"])
@patient_required
def patient_settings(request):
    """The patient's own settings: the language of their site, emails and reminders."""
    form = LanguageForm(request.POST or None, instance=request.patient)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.instance.language)
        messages.success(request, _("Saved: Flexion speaks to you in this language now."))
        return redirect("patients:settings")
    return render(
        request, "patients/settings.html", {"form": form}, status=400 if form.errors else 200
    )
