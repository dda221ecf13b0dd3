"""API tokens: issue a key (shown once), find the token a presented key belongs to."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from .models import ApiToken, Clinic, Role, StaffMember, User

KEY_PREFIX = "flx_"
TOKEN_EMAIL_DOMAIN = "api-tokens.invalid"


def key_hash(key: str) -> str:
    # The key is 256 random bits, so a fast unsalted hash is enough: there is
    # nothing to brute-force, and a fast hash lets every request look it up.
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(
    *, clinic: Clinic, name: str, role: str = Role.THERAPIST, created_by: User | None
) -> tuple[ApiToken, str]:
    """Create a token with its own staff login; return it and the key, shown only now."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    user = User.objects.create_user(
        email=f"token-{secrets.token_hex(8)}@{TOKEN_EMAIL_DOMAIN}",
        full_name=f"API token: {name}"[:150],
        is_staff=True,  # the role permissions are granted to active staff only
    )  # no password: this login can never sign in to the admin or the patient site
    StaffMember.objects.create(user=user, clinic=clinic, role=role)
    token = ApiToken.objects.create(
        clinic=clinic,
        user=user,
        name=name,
        prefix=key[: len(KEY_PREFIX) + 4],
        key_hash=key_hash(key),
        created_by=created_by,
    )
    return token, key


def api_token_for_key(key: str) -> ApiToken | None:
    """Return the active token this key belongs to, or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user__staff")
        .filter(key_hash=key_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
