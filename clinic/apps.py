from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import audit, middleware

        audit.connect_signals()
        user_logged_in.connect(middleware.session_clocks_restart, dispatch_uid="session_clocks")
