"""Stopping reminders from the link in every reminder email.

The signed token in the link is the authentication: no login, and no CSRF token, because
mail providers POST the RFC 8058 one-click request from their own servers. A GET only
shows a confirm button, so link scanners that prefetch it change nothing.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .access import patient_language_use
from .links import patient_id_from_unsubscribe_token
from .models import Patient


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    patient_id = patient_id_from_unsubscribe_token(token)
    patient = Patient.objects.filter(pk=patient_id).first() if patient_id else None
    if patient is None:
        return render(request, "reminders/unsubscribe_invalid.html", status=404)
    patient_language_use(request, patient)
    if request.method == "POST":
        # The first opt-out time stays: a second click changes nothing.
        Patient.objects.filter(pk=patient.pk, reminders_opted_out_at__isnull=True).update(
            reminders_opted_out_at=timezone.now()
        )
        return render(request, "reminders/unsubscribe_done.html", {"patient": patient})
    return render(request, "reminders/unsubscribe_confirm.html", {"patient": patient})
