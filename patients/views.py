from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .access import patient_required
from .forms import PatientLoginForm
from .models import Assignment, AssignmentStatus


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
