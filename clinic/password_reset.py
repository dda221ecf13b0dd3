"""Password reset by email, sent by a Celery task so the answer never depends on the address.

Django's own view looks the address up and sends inside the request: an address with a
login answered measurably slower than one without. Here the request only counts the
address against its rate limit and enqueues; the task looks it up and sends.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction

from . import mail
from .throttles import account_email_allowed

EMAIL_TEMPLATES = {
    "subject_template_name": "registration/password_reset_subject.txt",
    "email_template_name": "registration/password_reset_email.txt",
    "html_email_template_name": "registration/password_reset_email.html",
}


class QueuedPasswordResetForm(PasswordResetForm):
    def save(self, *args, **kwargs) -> None:
        """Enqueue the email once the request's transaction commits; send nothing here."""
        from .tasks import password_reset_email  # the task module imports this one

        email = self.cleaned_data["email"]
        if account_email_allowed(email):
            transaction.on_commit(partial(password_reset_email.delay, email), robust=True)


def password_reset_email_send(*, email: str) -> None:
    """Email a reset link to every active login with a usable password at this address."""
    site = urlsplit(settings.SITE_URL)
    # Rendered like every other email: a plain, one-line subject (clinic.mail).
    form = mail.PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            from_email=settings.DEFAULT_FROM_EMAIL,
            **EMAIL_TEMPLATES,
        )
