"""Password reset by email, sent by a Celery task so the answer never depends on the address.

Django's own view looks the address up and sends inside the request: an address with a
login answered measurably slower than one without. Here the request only counts the
address against its rate limit and enqueues; the task looks it up and sends.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm

from . import mail
from .queue import enqueue_on_commit
from .throttles import account_email_allowed


class QueuedPasswordResetForm(PasswordResetForm):
    def save(self, *args, **kwargs) -> None:
        """Enqueue the email once the request's transaction commits; send nothing here."""

        email = self.cleaned_data["email"]
        if account_email_allowed(email):
            enqueue_on_commit(password_reset_email, [(email,)])


def password_reset_email_send(*, email: str) -> None:
    """Email a reset link to every active login with a usable password at this address."""
    site = urlsplit(settings.SITE_URL)
    # Rendered like every other email (clinic.mail), from emails/password_reset_*.
    form = mail.PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            from_email=settings.DEFAULT_FROM_EMAIL,
        )


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def password_reset_email(email: str) -> None:
    """Send the password reset asked for on the sign-in page, once that request committed."""
    password_reset_email_send(email=email)
