"""Benchmark of the PDF handout of a 10-exercise program and of exercise pictures served.

    DATABASE_URL=... .venv/bin/python bench/bench_handout.py --output var/bench/handout.json

On a migrated database: creates a clinic with ten exercises, one stored picture each, and a
patient with them all prescribed; measures the handout's generation (WeasyPrint, median of
``--repeat`` after a warm-up) and the pictures served per second to the signed-in patient
through the whole Django stack (test client, in one process); then removes what it made.

A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXERCISES = 10


def measure(repeat: int = 5, picture_requests: int = 300) -> dict:
    """Return the handout's times (ms) and the pictures served per second."""
    import datetime
    import tempfile

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse
    from PIL import Image

    from clinic.models import Clinic, User
    from patients.handout import handout_pdf
    from patients.models import Assignment, Patient, PrescriptionItem
    from programs.models import Exercise, ProgressionScheme
    from programs.pictures import picture_prepare
    from programs.services import exercise_picture_add

    def photo(n: int) -> bytes:
        import io

        image = Image.new("RGB", (1600, 1200), (230, 235, 240))
        image.paste((40, 90 + n * 10, 140), (200, 200, 1400, 1000))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        return out.getvalue()

    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            clinic = Clinic.objects.create(name="Bench handout clinic", slug="bench-handout")
            scheme = ProgressionScheme.objects.filter(clinic__isnull=True).first()
            if scheme is None:
                scheme = ProgressionScheme.objects.create(name="Bench handout scheme")
                scheme.stages.create(
                    order=0, code="start", name="Start", planned_sessions=2, max_sessions=2
                )
            user = User.objects.create_user(email="bench-handout@example.invalid")
            patient = Patient.objects.create(
                clinic=clinic, user=user, first_name="Bench", email=user.email
            )
            assignment = Assignment.objects.create(
                clinic=clinic,
                patient=patient,
                name="Ten exercises",
                scheme=scheme,
                start_date=datetime.date.today(),
            )
            pictures = []
            for n in range(EXERCISES):
                exercise = Exercise.objects.create(
                    clinic=clinic,
                    key=f"bench-{n}",
                    name=f"Bench exercise {n + 1}",
                    category="stretch",
                    starting_position="lying_on_back",
                    steps=[f"Step {s} of a clear instruction a patient can follow." for s in "123"],
                    cues="A gentle stretch in the back of the thigh.",
                    stop_rule="Stop if the pain is sharp or spreads down the leg.",
                    sets=2,
                    reps=3,
                    hold_seconds=20,
                    rest_seconds=30,
                    side="per_side",
                )
                prepared = picture_prepare(SimpleUploadedFile("p.jpg", photo(n)))
                pictures.append(
                    exercise_picture_add(exercise=exercise, prepared=prepared, alt_text="Pose")
                )
                PrescriptionItem.objects.create(
                    assignment=assignment, exercise=exercise, order=n, **exercise.dosage()
                )
        try:
            handout_pdf(assignment)  # warm: fonts and templates
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                pdf = handout_pdf(assignment)
                times.append((time.perf_counter() - started) * 1000)
            # A host the bench server's ALLOWED_HOSTS accepts.
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            urls = [reverse("patients:picture", args=[p.pk, "large"]) for p in pictures]
            client.get(urls[0])
            started = time.perf_counter()
            served = 0
            for i in range(picture_requests):
                response = client.get(urls[i % len(urls)])
                b"".join(response.streaming_content)
                served += response.status_code == 200
            elapsed = time.perf_counter() - started
        finally:
            with transaction.atomic():
                Assignment.objects.filter(pk=assignment.pk).delete()
                Patient.objects.filter(pk=patient.pk).delete()
                user.delete()
                for picture in pictures:
                    picture.delete()
                Exercise.objects.filter(clinic=clinic).delete()
                clinic.delete()
    return {
        "exercises": EXERCISES,
        "handout_ms": round(statistics.median(times)),
        "handout_ms_max": round(max(times)),
        "handout_bytes": len(pdf),
        "repeat": repeat,
        "pictures_per_second": round(served / elapsed),
        "picture_requests": picture_requests,
        "pictures_served": served,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--picture-requests", type=int, default=300)
    parser.add_argument("--output", type=Path, required=True)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexion.settings")
    import django

    django.setup()
    result = measure(options.repeat, options.picture_requests)
    options.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
