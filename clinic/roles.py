"""What each staff role may do, as Django permission codenames.

The ``RoleBackend`` answers ``user.has_perm()`` from this table, so the admin,
the API and the views all ask the same question the same way. Which *rows* a
user may touch is decided separately, by ``ScopedQuerySet.visible_to``.
"""

from .models import Role

ALL = ("view", "add", "change", "delete")

THERAPIST_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "programs.exercise": ALL,
    "programs.exercisevariation": ALL,
    "programs.exercisepicture": ALL,
    "programs.program": ALL,
    "programs.programitem": ALL,
    "programs.progressionscheme": ("view",),
    "programs.schemestage": ("view",),
    "programs.questionnaire": ALL,
    "programs.questionnaireversion": ("view",),
    "programs.programquestionnaire": ALL,
    "programs.bodyregion": ("view",),
    "programs.equipment": ("view",),
    "patients.patient": ("view", "add", "change"),
    "patients.assignment": ALL,
    "patients.prescriptionitem": ALL,
    "patients.session": ("view",),
    "patients.exerciselog": ("view",),
    "patients.checkin": ("view",),
    "patients.stagechange": ("view", "add"),
    "patients.reminder": ("view",),
    "patients.message": ("view", "add"),
    "patients.assignmentquestionnaire": ALL,
    "patients.outcomeresponse": ("view",),
    "clinic.clinic": ("view",),
    "clinic.staffmember": ("view",),
    "reports.adherencereport": ("view",),
    "reports.attentionreview": ("view", "add"),
}

CLINIC_ADMIN_PERMISSIONS: dict[str, tuple[str, ...]] = {
    **THERAPIST_PERMISSIONS,
    "programs.progressionscheme": ALL,
    "programs.schemestage": ALL,
    "patients.patient": ALL,
    "clinic.clinic": ("view", "change"),
    "clinic.staffmember": ALL,
    "clinic.user": ("view", "add", "change"),
    "clinic.apitoken": ("view", "add", "change"),
    "clinic.auditevent": ("view",),
    "reports.reportexport": ("view",),
}


def _expand(table: dict[str, tuple[str, ...]]) -> frozenset[str]:
    perms = set()
    for label, actions in table.items():
        app_label, model = label.split(".")
        perms.update(f"{app_label}.{action}_{model}" for action in actions)
    return frozenset(perms)


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.THERAPIST: _expand(THERAPIST_PERMISSIONS),
    Role.CLINIC_ADMIN: _expand(CLINIC_ADMIN_PERMISSIONS),
}


def permissions_for_role(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
