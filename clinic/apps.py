from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = _("Clinic")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models import Field, ForeignObject

        from . import audit, bulk, middleware

        audit.connect_signals()
        for field in (Field, ForeignObject):  # relations do not inherit Field's lookups
            field.register_lookup(bulk.AnyOf)
        user_logged_in.connect(middleware.session_clocks_restart, dispatch_uid="session_clocks")
