from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Exercise library and programs")

    def ready(self):
        from django.utils.translation import gettext, ngettext

        from . import progression, signals  # noqa: F401 (connects the receivers)

        # The progression rule's reasons, in the language of the request or email.
        progression.translations_use(gettext, ngettext)
