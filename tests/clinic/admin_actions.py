"""Every action of every registered admin, as a user sees it on the changelist."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse


@dataclass(frozen=True)
class AdminAction:
    model_admin: admin.ModelAdmin
    name: str

    @property
    def label(self) -> str:
        return f"{self.model_admin.model._meta.label_lower}.{self.name}"

    @property
    def changelist(self) -> str:
        opts = self.model_admin.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def visible_ids(self, user) -> list:
        request = RequestFactory().get(self.changelist)
        request.user = user
        return list(self.model_admin.get_queryset(request).values_list("pk", flat=True))


def admin_actions(user) -> list[AdminAction]:
    """Return the actions of every registered admin that user is offered."""
    found = []
    for model_admin in admin.site._registry.values():
        request = RequestFactory().get("/")
        request.user = user
        if not model_admin.has_view_or_change_permission(request):
            continue
        for name in model_admin.get_actions(request):
            found.append(AdminAction(model_admin, name))
    return found
