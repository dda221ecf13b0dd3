"""Getting a colleague in: a clinic admin adds them, they get a single-use invitation.

The invitation is a ``LoginLink`` (clinic.login_links), like a patient's. Opening it, the
colleague chooses a password, then sets up the second factor, then lands on the admin.
A new invitation (resend) or a revoke stops the earlier ones working.
"""

from __future__ import annotations

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from .login_links import VALID_FOR, login_link_create, login_links_revoke
from .mail import absolute_url, email_message
from .models import LoginLinkPurpose, StaffMember
from .queue import TRANSIENT, enqueue_on_commit
from .throttles import account_email_allowed

STAFF_INVITATION_VALID_FOR = VALID_FOR[LoginLinkPurpose.STAFF_INVITATION]


def staff_invitation_send(*, staff: StaffMember) -> None:
    """Enqueue an invitation email to the colleague; earlier invitations stop working.

    Refused (ValidationError) for a colleague who already chose a password or is inactive,
    and when the address was sent too many emails this hour. The link is made in the
    task, so no token ever sits in the broker.
    """
    user = staff.user
    if not staff.is_active or not user.is_active:
        raise ValidationError(_("%(name)s is not active: activate them first.") % {"name": user})
    if user.has_usable_password():
        raise ValidationError(
            _("%(name)s already chose a password: they can reset it from the sign-in page.")
            % {"name": user}
        )
    if not account_email_allowed(user.email):
        raise ValidationError(
            _("%(name)s was sent several emails this hour already; try again later.")
            % {"name": user}
        )
    with transaction.atomic():
        login_links_revoke(user=user, purpose=LoginLinkPurpose.STAFF_INVITATION)
        enqueue_on_commit(staff_invitation_email, [(staff.pk,)])


def staff_invitation_revoke(*, staff: StaffMember) -> int:
    """Stop the colleague's pending invitations working; return how many there were."""
    return login_links_revoke(user=staff.user, purpose=LoginLinkPurpose.STAFF_INVITATION)


def staff_invitation_email_send(*, staff_id: int) -> bool:
    """Make an invitation link for the colleague and email it; False if they cannot get one."""
    staff = StaffMember.objects.select_related("user", "clinic").filter(pk=staff_id).first()
    if staff is None or not staff.is_active:
        return False
    user = staff.user
    if not user.is_active or not user.is_staff or user.has_usable_password():
        return False
    # A resend revoked the earlier links in its request; this one is the only one pending.
    login_links_revoke(user=user, purpose=LoginLinkPurpose.STAFF_INVITATION)
    token = login_link_create(user=user, purpose=LoginLinkPurpose.STAFF_INVITATION)
    email_message(
        "staff_invitation",
        to=user.email,
        language=user.email_language,
        context={
            "staff": staff,
            "clinic": staff.clinic,
            "url": absolute_url(reverse("staff_invitation", args=[token])),
            "days": STAFF_INVITATION_VALID_FOR.days,
        },
    ).send()
    return True


@shared_task(ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def staff_invitation_email(staff_id: int) -> bool:
    """Email a colleague the invitation a clinic admin sent from the admin."""
    return staff_invitation_email_send(staff_id=staff_id)
