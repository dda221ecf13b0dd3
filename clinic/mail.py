"""The one way Flexion renders an email: a function per email, three templates each.

Every email ``name`` has ``emails/<name>_subject.txt``, ``emails/<name>_body.txt`` and
``emails/<name>_body.html`` (as healthchecks does), rendered by ``email_render`` and built
into a message by ``email_message``.

Templates escape HTML by default, which is right for the HTML part and wrong for the
others: a clinic named "Smith & O'Brien" would write "Smith &amp; O&#x27;Brien" in a
subject. A subject is also a mail header, where a line break in a clinic's name would
make Django refuse the whole message (``BadHeaderError``), so it is folded to one line.
The password-reset email is rendered the same way, through ``PasswordResetForm``. Every
email is rendered in its recipient's language (``language``), whoever sends it.
"""

from __future__ import annotations

import logging
import unicodedata

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping."""
    template = get_template(template_name).template  # the Django template behind the backend's
    return template.render(Context(context, autoescape=False))


def header_text(value: str) -> str:
    """Return value as one line that is safe in a mail header.

    Every run of whitespace (line breaks and Unicode line separators included) becomes one
    space, and other control characters are dropped.
    """
    words = " ".join(str(value).split())
    return "".join(char for char in words if unicodedata.category(char) != "Cc")


def render_subject(template_name: str, context: dict) -> str:
    """Render an email's subject: plain text, unescaped, on one header-safe line."""
    return header_text(render_text(template_name, context))


def absolute_url(path: str) -> str:
    """Return the address of a path on this site, for a link in an email."""
    return f"{settings.SITE_URL}{path}"


def email_render(name: str, context: dict) -> tuple[str, str, str]:
    """Return the subject, text body and HTML body of the email ``name``."""
    return (
        render_subject(f"emails/{name}_subject.txt", context),
        render_text(f"emails/{name}_body.txt", context),
        render_to_string(f"emails/{name}_body.html", context),
    )


def email_message(
    name: str,
    *,
    to: str,
    language: str,
    context: dict,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """Build the email ``name`` to one address, with its text and HTML bodies.

    Rendered in the recipient's ``language`` (a patient's ``language``, a login's
    ``email_language``), never in whichever language the sender's request or task had.
    """
    with translation.override(language):
        subject, text, html = email_render(name, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, sending its email as Flexion's ``password_reset`` email."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        message = email_message(
            "password_reset",
            to=to_email,
            language=context["user"].email_language,
            context=context,
            from_email=from_email,
        )
        try:
            message.send()
        except Exception:
            # As Django's own form: the page must not tell whether the address has a login.
            logger.exception("Failed to send password reset email to %s", context["user"].pk)
