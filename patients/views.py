from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .access import patient_required
from .checkins import checkin_record
from .forms import CheckInForm, PatientLoginForm
from .links import session_id_from_checkin_token
from .models import Assignment, AssignmentStatus, Session


class PatientLoginView(auth_views.LoginView):
    form_class = PatientLoginForm
    template_name = "patients/login.html"
    redirect_authenticated_user = True


@patient_required
def home(request):
    assignments = (
        Assignment.objects.visible_to(request.user)
        .filter(status=AssignmentStatus.ACTIVE)
        .select_related("therapist__user")
    )
    return render(
        request, "patients/home.html", {"patient": request.patient, "assignments": assignments}
    )


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
