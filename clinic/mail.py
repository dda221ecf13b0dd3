"""The one way Flexion renders the plain-text parts of an email: subjects and text bodies.

Templates escape HTML by default, which is right for the HTML part and wrong for the
others: a clinic named "Smith & O'Brien" would write "Smith &amp; O&#x27;Brien" in a
subject. A subject is also a mail header, where a line break in a clinic's name would
make Django refuse the whole message (``BadHeaderError``), so it is folded to one line.
Every email function renders its subject with ``render_subject`` and its text body with
``render_text``; the password-reset email does too, through ``PasswordResetForm``.
"""

from __future__ import annotations

import logging
import unicodedata

from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

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


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, with its email's subject and text rendered like every other email's."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        message = EmailMultiAlternatives(
            render_subject(subject_template_name, context),
            render_text(email_template_name, context),
            from_email,
            [to_email],
        )
        if html_email_template_name is not None:
            message.attach_alternative(
                render_to_string(html_email_template_name, context), "text/html"
            )
        try:
            message.send()
        except Exception:
            # As Django's own form: the page must not tell whether the address has a login.
            logger.exception("Failed to send password reset email to %s", context["user"].pk)
