"""The patient's questionnaires: start one that is due, answer screen by screen, send."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from programs import outcomes as rules

from . import outcomes
from .access import patient_required
from .models import Assignment, AssignmentStatus, OutcomeResponse
from .progress import local_today


def _own_response(request, response_id) -> OutcomeResponse:
    """The patient's own response, or 404: another patient's does not exist for them."""
    return get_object_or_404(
        OutcomeResponse.objects.visible_to(request.user).select_related(
            "version", "questionnaire", "assignment"
        ),
        pk=response_id,
    )


@require_POST
@patient_required
def questionnaire_start(request, assignment_id, questionnaire_id):
    """Start (or resume) the questionnaire due today; the server decides the occasion."""
    assignment = get_object_or_404(
        Assignment.objects.visible_to(request.user).filter(status=AssignmentStatus.ACTIVE),
        pk=assignment_id,
    )
    due = next(
        (
            item
            for item in outcomes.due_questionnaires(
                [assignment], {assignment.pk: local_today(assignment)}
            )
            if item.questionnaire.pk == questionnaire_id
        ),
        None,
    )
    if due is None:
        messages.info(request, _("This questionnaire is not due now. Thank you!"))
        return redirect("patients:home")
    try:
        response = outcomes.response_start(
            assignment=assignment, questionnaire=due.questionnaire, occasion=due.occasion
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patients:home")
    return redirect("patients:response", response.pk)


def _screen_number(request, count: int) -> int:
    try:
        number = int(request.GET.get("screen", request.POST.get("screen", "1")))
    except ValueError:
        return 1
    return min(max(number, 1), count + 1)  # count + 1: the review screen


@require_http_methods(["GET", "POST"])
@patient_required
def response_page(request, response_id):
    """One screen of a questionnaire (GET), or its answers saved (POST), then the next."""
    response = _own_response(request, response_id)
    if response.is_submitted:
        return render(request, "patients/response_sent.html", _sent_context(response))
    definition = response.version.parsed
    count = len(definition.screens)
    number = _screen_number(request, count)
    if number > count:
        return _review(request, response, definition)
    screen = definition.screens[number - 1]
    questions = screen.children if screen.type == rules.ItemType.GROUP else (screen,)
    errors, values = {}, response.answers
    if request.method == "POST":
        values = {q.link_id: request.POST.get(q.link_id, "") for q in questions}
        try:
            outcomes.response_save(response=response, questions=questions, raw=values)
        except ValidationError as error:
            errors = {key: " ".join(texts) for key, texts in error.message_dict.items()}
        except outcomes.AlreadySent:
            return redirect("patients:response", response.pk)
        else:
            return redirect(f"{request.path}?screen={number + 1}")
    return render(
        request,
        "patients/response_screen.html",
        {
            "response": response,
            "definition": definition,
            "screen": screen,
            "number": number,
            "count": count,
            "fields": [
                _field(q, values.get(q.link_id, ""), errors.get(q.link_id)) for q in questions
            ],
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _field(question: rules.Item, value, error: str | None) -> dict:
    choices = []
    if question.type == rules.ItemType.CHOICE:
        choices = [(option.value, option.label) for option in question.options]
    elif question.type == rules.ItemType.INTEGER:
        choices = [
            (number, str(number)) for number in range(question.minimum, question.maximum + 1)
        ]
    return {
        "question": question,
        "value": "" if value is None else str(value),
        "choices": [(str(v), label) for v, label in choices],
        "error": error,
    }


def _review(request, response, definition, errors=None, status=200):
    screens = []
    for number, screen in enumerate(definition.screens, start=1):
        questions = screen.children if screen.type == rules.ItemType.GROUP else (screen,)
        screens.append(
            {
                "number": number,
                "title": screen.text,
                "answers": [
                    (
                        q.text,
                        _answer_text(q, response.answers.get(q.link_id)),
                        (errors or {}).get(q.link_id),
                    )
                    for q in questions
                ],
            }
        )
    return render(
        request,
        "patients/response_review.html",
        {"response": response, "definition": definition, "screens": screens, "errors": errors},
        status=status,
    )


def _answer_text(question: rules.Item, value) -> str:
    if value in (None, ""):
        return ""
    if question.type == rules.ItemType.CHOICE:
        labels = {option.value: option.label for option in question.options}
        return labels.get(int(value), str(value))
    return str(value)


@require_POST
@patient_required
def response_send(request, response_id):
    response = _own_response(request, response_id)
    if response.is_submitted:
        messages.info(request, _("These answers were already sent. Thank you!"))
        return redirect("patients:response", response.pk)
    try:
        outcomes.response_submit(response=response, today=local_today(response.assignment))
    except outcomes.AlreadySent:
        messages.info(request, _("These answers were already sent. Thank you!"))
    except ValidationError as error:
        errors = {key: " ".join(texts) for key, texts in error.message_dict.items()}
        return _review(request, response, response.version.parsed, errors, status=400)
    else:
        messages.success(request, _("Thank you! Your answers are sent to your therapist."))
    return redirect("patients:response", response.pk)


@require_POST
@patient_required
def response_correct(request, response_id):
    """Correct sent answers: a new response that supersedes them (both are kept)."""
    response = _own_response(request, response_id)
    if not response.is_submitted:
        raise Http404
    correction = outcomes.response_correct(response=response)
    return redirect("patients:response", correction.pk)


def _sent_context(response) -> dict:
    definition = response.version.parsed
    return {
        "response": response,
        "definition": definition,
        "score": rules.number_text(response.score) if response.score is not None else "",
        "correction": OutcomeResponse.objects.filter(supersedes=response).first(),
        "answers": [
            (q.text, _answer_text(q, response.answers.get(q.link_id)))
            for q in definition.questions
            if response.answers.get(q.link_id) not in (None, "")
        ],
    }
