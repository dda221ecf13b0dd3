"""Links sent by email: signed, so they identify a session or a patient without a login.

A link only ever *shows* something; an answer or an unsubscribe needs a POST,
so mail scanners that prefetch links change nothing.
"""

import datetime

from django.core import signing
from django.urls import reverse

from clinic.mail import absolute_url

CHECKIN_SALT = "flexion.checkin"
UNSUBSCRIBE_SALT = "flexion.unsubscribe"
CHECKIN_LINK_MAX_AGE = datetime.timedelta(days=14)


def checkin_token(session) -> str:
    return signing.dumps(session.pk, salt=CHECKIN_SALT)


def session_id_from_checkin_token(token: str) -> int | None:
    """Return the session id of a valid, unexpired check-in token, else None."""
    try:
        return int(signing.loads(token, salt=CHECKIN_SALT, max_age=CHECKIN_LINK_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def unsubscribe_token(patient) -> str:
    return signing.dumps(patient.pk, salt=UNSUBSCRIBE_SALT)


def patient_id_from_unsubscribe_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def checkin_url(session) -> str:
    return absolute_url(reverse("patients:checkin_link", args=[checkin_token(session)]))


def today_url() -> str:
    return absolute_url(reverse("patients:home"))
