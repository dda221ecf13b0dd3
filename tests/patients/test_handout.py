"""The PDF handout of an assignment: what it says, who may have it, and that it is audited."""

import datetime
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw

from clinic.admin import ClinicForm
from clinic.models import AuditAction, AuditEvent, PaperSize
from patients.handout import handout_context, handout_pdf, qr_data_url
from patients.player import dosage_in_words
from patients.services import assignment_create
from programs.models import Program
from programs.services import starter_library_load

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "handout.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(text.split())


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def default_programs(db):
    starter_library_load()
    return list(Program.objects.filter(clinic__isnull=True).order_by("name"))


def assign(patient, program, therapist=None):
    return assignment_create(
        patient=patient,
        program=program,
        therapist=therapist,
        start_date=datetime.date.today() - datetime.timedelta(days=3),
    )


def test_the_handout_of_each_default_program_has_every_dosage_and_stop_rule(
    carol, alice, default_programs, tmp_path
):
    assert len(default_programs) == 2
    ARTIFACTS.mkdir(exist_ok=True)
    for program in default_programs:
        assignment = assign(carol, program, therapist=alice.staff)
        pdf = handout_pdf(assignment)
        assert pdf.startswith(b"%PDF")
        text = pdf_text(pdf, tmp_path)
        assert "Clinic A" in text
        assert program.name in text
        assert "Carol" in text
        assert "Your therapist: Alice" in text
        items = list(assignment.items.select_related("exercise"))
        assert items
        for item in items:
            assert item.exercise.name in text
            assert words(dosage_in_words(item)) in text, item.exercise.name
            assert words(item.exercise.stop_rule) in text, item.exercise.name
        assert reverse("patients:login") in text.replace(" ", "")
        page = ARTIFACTS / f"handout-{program.key or program.pk}"
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "2", "-", str(page)],
            input=pdf,
            check=True,
        )
        assert list(ARTIFACTS.glob(f"{page.name}-*.png"))


def test_an_exercises_video_is_printed_as_a_short_link_with_its_qr_code(
    carol, default_programs, tmp_path
):
    assignment = assign(carol, default_programs[0])
    item = assignment.items.select_related("exercise").first()
    item.exercise.set_video_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42")
    item.exercise.save()
    text = pdf_text(handout_pdf(assignment), tmp_path)
    assert "Watch the video: https://youtu.be/dQw4w9WgXcQ" in text
    shown = handout_context(assignment)["exercises"][0]
    assert shown["video_qr"] == qr_data_url("https://youtu.be/dQw4w9WgXcQ")
    sign_in = settings.SITE_URL + reverse("patients:login")
    assert handout_context(assignment)["sign_in_qr"] == qr_data_url(sign_in)


def test_the_paper_size_follows_the_clinic(carol, default_programs, tmp_path):
    assignment = assign(carol, default_programs[0])
    sizes = {}
    for paper in (PaperSize.A4, PaperSize.LETTER):
        carol.clinic.paper_size = paper
        carol.clinic.save()
        assignment.clinic.refresh_from_db()
        path = tmp_path / f"{paper}.pdf"
        path.write_bytes(handout_pdf(assignment))
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        sizes[paper] = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    assert [round(float(n)) for n in sizes[PaperSize.A4]] == [595, 842]
    assert [round(float(n)) for n in sizes[PaperSize.LETTER]] == [612, 792]


def test_an_exercise_is_never_split_across_pages(carol, default_programs, tmp_path):
    assignment = assign(carol, default_programs[1])
    path = tmp_path / "h.pdf"
    path.write_bytes(handout_pdf(assignment))
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout,
        ).group(1)
    )
    for item in assignment.items.select_related("exercise"):
        found = [
            page
            for page in range(1, pages + 1)
            if words(item.exercise.stop_rule)[:60]
            in words(
                subprocess.run(
                    ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                    capture_output=True,
                    text=True,
                ).stdout
            )
        ]
        names = [
            page
            for page in range(1, pages + 1)
            if item.exercise.name
            in words(
                subprocess.run(
                    ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
                    capture_output=True,
                    text=True,
                ).stdout
            )
        ]
        assert len(found) == 1 and found[0] in names, item.exercise.name


def test_carol_downloads_her_program_and_the_download_is_audited(client, carol, default_programs):
    assignment = assign(carol, default_programs[0])
    client.force_login(carol.user)
    home = client.get(reverse("patients:home")).content.decode()
    url = reverse("patients:my_handout", args=[assignment.pk])
    assert url in home
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.patient_id, event.object_id, event.extra["handout"]) == (
        carol.pk,
        str(assignment.pk),
        "pdf",
    )


def test_another_patients_handout_is_not_found(client, carol, erin, dave, default_programs):
    carols = assign(carol, default_programs[0])
    daves = assign(dave, default_programs[0])
    client.force_login(erin.user)
    for assignment in (carols, daves):
        response = client.get(reverse("patients:my_handout", args=[assignment.pk]))
        assert response.status_code == 404
        assert b"%PDF" not in response.content
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_alice_prints_a_handout_from_the_patient_and_assignment_pages(
    client, alice, carol, default_programs
):
    assignment = assign(carol, default_programs[0])
    client.force_login(alice)
    url = reverse("admin:patients_assignment_handout", args=[assignment.pk])
    for page in ("admin:patients_patient_change", "admin:patients_assignment_change"):
        target = carol.pk if "patient_change" in page else assignment.pk
        html = client.get(reverse(page, args=[target])).content.decode()
        assert url in html and "Print handout" in html
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor_id, event.patient_id) == (alice.pk, carol.pk)


def test_bob_cannot_print_a_handout_of_clinic_a(client, bob, carol, default_programs):
    assignment = assign(carol, default_programs[0])
    client.force_login(bob)
    response = client.get(reverse("admin:patients_assignment_handout", args=[assignment.pk]))
    assert response.status_code == 404
    assert b"%PDF" not in response.content
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_handout_speaks_the_patients_language_whoever_prints_it(
    client, alice, carol, default_programs, tmp_path
):
    from django.utils import translation

    carol.language = "de"
    carol.save()
    assignment = assign(carol, default_programs[0], therapist=alice.staff)
    client.force_login(alice)
    response = client.get(
        reverse("admin:patients_assignment_handout", args=[assignment.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    first = assignment.items.select_related("exercise").order_by("order", "pk")[0].exercise
    with translation.override("de"):
        german_name = first.name
    with translation.override("en"):
        english_name = first.name
    assert german_name != english_name
    assert "Ihr Plan" in text and "Gedruckt am" in text and "Your plan" not in text
    assert words(german_name) in text


def clinic_logo_set(clinic) -> None:
    """Give the clinic a wide logo (an orange band with a blue disc), stored as uploaded."""
    image = Image.new("RGB", (900, 300), (240, 130, 20))
    ImageDraw.Draw(image).ellipse((30, 30, 270, 270), fill=(20, 60, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    form = ClinicForm(
        data={
            "name": clinic.name,
            "slug": clinic.slug,
            "timezone": clinic.timezone,
            "reminder_time": "08:00",
        },
        files={"logo_upload": SimpleUploadedFile("logo.png", out.getvalue())},
        instance=clinic,
    )
    assert form.is_valid(), form.errors
    form.save()


def test_the_handout_shows_the_clinics_name_and_logo(carol, default_programs, tmp_path):
    clinic_logo_set(carol.clinic)
    assignment = assign(carol, default_programs[0])
    pdf = handout_pdf(assignment)
    text = pdf_text(pdf, tmp_path)
    assert text.startswith("Clinic A")
    path = tmp_path / "handout.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-f", "1", "-l", "1", "-list", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    # page num type width height ...: the logo is the page's one picture, at its stored size.
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert [(row[2], row[3], row[4]) for row in rows] == [("image", "600", "200")]
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / "handout-with-logo"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(path), str(page)],
        check=True,
    )
    assert page.with_suffix(".png").exists()


def test_a_handout_without_a_logo_has_no_picture_in_its_header(carol, default_programs, tmp_path):
    path = tmp_path / "handout.pdf"
    path.write_bytes(handout_pdf(assign(carol, default_programs[0])))
    listing = subprocess.run(
        ["pdfimages", "-f", "1", "-l", "1", "-list", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert listing.splitlines()[2:] == []
