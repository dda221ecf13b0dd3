"""Walk the demo as its people do, on the database `make run` uses, and list what fails.

    DATABASE_URL=sqlite:///path python scripts/demo_crawl.py

Run on a database made by ``migrate``, ``load_starter_library`` and ``seed_demo``: every
admin list and the admin's own pages (the therapist's home, the adherence report and its
exports, each patient's story) as the therapist and the clinic admin, and the patient
site as each demo patient. Prints one line per page that answered 5xx (or raised), and
"ok N pages" when none did. The reports are SQL written for PostgreSQL and SQLite alike:
this is the check that SQLite still runs it.
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexion.settings")
os.environ.setdefault("FLEXION_REQUIRE_STAFF_MFA", "false")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.contrib import admin  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from clinic.models import User  # noqa: E402
from patients.models import Patient  # noqa: E402


def staff_pages() -> list[str]:
    pages = ["/admin/", "/admin/?scope=all"]
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    report = reverse("admin:reports_adherencereport_changelist")
    pages += [f"{report}?format={name}" for name in ("csv", "xlsx", "print")]
    pages += [
        reverse("patient_story", args=[pk]) for pk in Patient.objects.values_list("pk", flat=True)
    ]
    return pages


def main() -> int:
    failures, walked = [], 0
    people = {
        "therapist@demo.flexion.test": staff_pages(),
        "admin@demo.flexion.test": staff_pages(),
        "patient1@demo.flexion.test": ["/", "/history/", "/messages/", "/settings/"],
        "patient2@demo.flexion.test": ["/", "/history/", "/messages/", "/settings/"],
    }
    for email, pages in people.items():
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(User.objects.get(email=email))
        for page in pages:
            walked += 1
            status = client.get(page).status_code
            if status >= 500:
                failures.append(f"{email} GET {page}: {status}")
    print("\n".join(failures) or f"ok {walked} pages")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
