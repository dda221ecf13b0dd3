from django.core.management.base import BaseCommand

from patients.demo import demo_seed


class Command(BaseCommand):
    help = "Create or refresh the demo clinic with its staff and patient logins (idempotent)."

    def handle(self, *args, **options):
        logins = demo_seed()
        self.stdout.write(self.style.SUCCESS("Demo clinic ready. Logins:"))
        for login in logins:
            self.stdout.write(
                f"  {login.role:<13} {login.email:<30} {login.password:<14} at {login.where}"
            )
