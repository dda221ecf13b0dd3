"""The printable handout of one assignment: a PDF the patient can keep on the fridge.

Rendered by WeasyPrint from an HTML template. Everything it shows is put into the HTML
(pictures and QR codes as data: addresses), and WeasyPrint may fetch nothing else: no
network, no file outside what is given. The PDF is made on request and never stored or
emailed (it holds health data); the patient site offers it for download instead.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clinic.audit import audit_record
from clinic.images import stored_image_data_url
from clinic.models import AuditAction, PaperSize
from programs.models import ExercisePicture
from programs.pictures import starter_drawing

from .access import patient_required
from .links import absolute_url
from .models import Assignment
from .player import dosage_in_words
from .progress import assignment_progress, local_today

PAGE_SIZES = {PaperSize.A4: "A4", PaperSize.LETTER: "letter"}
HANDOUT_CSS = "css/handout.css"


def _data_url(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def qr_data_url(text: str) -> str:
    """A QR code of ``text`` as an SVG data: address (vector, so it prints sharp)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return _data_url("image/svg+xml", out.getvalue())


def _picture_data_url(picture: ExercisePicture) -> str:
    # The 320 px size: about 190 dpi at the printed 32 mm, and the 1,200 px one more than
    # doubled the handout's time (WeasyPrint re-encodes every image into the PDF).
    return stored_image_data_url(picture.thumb.name)


def _logo_data_url(clinic) -> str:
    """The clinic's logo from storage, or nothing (a handout prints without a missing file)."""
    if not clinic.logo:
        return ""
    try:
        return stored_image_data_url(clinic.logo.name)
    except OSError:
        return ""


def _pictures(exercise, uploaded: list[ExercisePicture]) -> list[dict]:
    """Up to three of the exercise's pictures, or its starter drawing, as data: addresses."""
    if uploaded:
        return [{"src": _picture_data_url(p), "alt": p.alt_text} for p in uploaded[:3]]
    drawing = starter_drawing(exercise)
    if drawing is None:
        return []
    path, alt = drawing
    with open(finders.find(path), "rb") as svg:
        return [{"src": _data_url("image/svg+xml", svg.read()), "alt": str(alt)}]


def _data_only_fetch(url: str, *args, **kwargs):
    """Read data: addresses only: the handout never makes WeasyPrint open a file or host."""
    from weasyprint import default_url_fetcher

    if not url.startswith("data:"):
        raise ValueError(f"The handout fetches nothing: {url[:60]}")
    return default_url_fetcher(url, *args, **kwargs)


def handout_context(assignment: Assignment) -> dict:
    """What the handout shows: the plan, and every exercise with its pictures and dosage."""
    items = list(assignment.items.select_related("exercise").order_by("order", "pk"))
    pictures: dict[int, list[ExercisePicture]] = {}
    for picture in ExercisePicture.objects.filter(
        exercise_id__in={item.exercise_id for item in items}
    ).order_by("order", "pk"):
        pictures.setdefault(picture.exercise_id, []).append(picture)
    today = local_today(assignment)
    progress = assignment_progress(assignment, today)
    week = progress.current_week
    sign_in = absolute_url(reverse("patients:login"))
    exercises = []
    for item in items:
        exercise = item.exercise
        video = exercise.video
        exercises.append(
            {
                "item": item,
                "exercise": exercise,
                "dosage": dosage_in_words(item),
                "pictures": _pictures(exercise, pictures.get(exercise.pk, [])),
                "video_url": video.short_url() if video else "",
                "video_qr": qr_data_url(video.short_url()) if video else "",
            }
        )
    css_path = finders.find(HANDOUT_CSS)
    with open(css_path, encoding="utf-8") as css_file:
        css = css_file.read()
    return {
        "assignment": assignment,
        "clinic": assignment.clinic,
        "clinic_logo": _logo_data_url(assignment.clinic),
        "patient": assignment.patient,
        "therapist": assignment.therapist.user if assignment.therapist else None,
        "stage": progress.current_stage,
        "planned_days": list(week.planned_days),
        "exercises": exercises,
        "sign_in_url": sign_in,
        "sign_in_qr": qr_data_url(sign_in),
        "page_size": PAGE_SIZES.get(assignment.clinic.paper_size, "A4"),
        "printed_on": timezone.localdate(),
        "css": css,
    }


def handout_pdf(assignment: Assignment) -> bytes:
    """Render the assignment's handout as PDF bytes, in the patient's language.

    The patient reads it, whoever downloads it: a therapist printing it from the admin in
    English gets the German patient's handout in German.
    """
    # Imported here: WeasyPrint takes seconds to import on a busy machine, and only this
    # needs it (not every process start, nor the first request after it).
    from weasyprint import CSS, HTML

    with translation.override(assignment.patient.language):
        context = handout_context(assignment)
        html = render_to_string("patients/handout.html", context)
    css = CSS(string=f"@page {{ size: {context['page_size']}; }}\n{context['css']}")
    return HTML(string=html, url_fetcher=_data_only_fetch).write_pdf(stylesheets=[css])


def handout_filename(assignment: Assignment) -> str:
    return f"exercise-program-{assignment.pk}.pdf"


def handout_response(request, assignment: Assignment) -> HttpResponse:
    """The handout as a download, recorded in the audit trail (it carries health data)."""
    pdf = handout_pdf(assignment)
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        obj=assignment,
        extra={"handout": "pdf", "exercises": assignment.items.count()},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{handout_filename(assignment)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@patient_required
def my_handout(request, assignment_id: int):
    """ "Download my program": the patient's own handout of one of their programs."""
    assignment = get_object_or_404(
        Assignment.objects.visible_to(request.user).select_related(
            "clinic", "patient", "scheme", "therapist__user"
        ),
        pk=assignment_id,
    )
    if assignment.patient_id != request.patient.pk:
        raise Http404
    return handout_response(request, assignment)
