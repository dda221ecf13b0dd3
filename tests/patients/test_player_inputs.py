"""The player's inputs: Django's own markup, written without the widget templates."""

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from patients.forms import ExerciseLogForm, PlayerNumberInput, PlayerTextInput

DJANGO = {PlayerNumberInput: forms.NumberInput, PlayerTextInput: forms.TextInput}


def django_rendering(bound_field) -> str:
    ours = bound_field.field.widget
    theirs = DJANGO[type(ours)](attrs=ours.attrs)
    return bound_field.as_widget(widget=theirs)


@pytest.mark.parametrize(
    "form",
    [
        ExerciseLogForm(initial={"sets_done": 3, "reps_done": 10}),
        ExerciseLogForm(
            data={"sets_done": "-1", "reps_done": "x", "pain": "11", "skip_reason": ""}
        ),
        ExerciseLogForm(data={"sets_done": "2", "reps_done": "8", "pain": "", "skip_reason": "a"}),
    ],
)
def test_each_input_is_the_one_django_renders(form):
    form.is_valid()
    for bound_field in form:
        assert str(bound_field) == django_rendering(bound_field)


@given(st.text(max_size=40))
def test_any_skip_reason_comes_back_escaped_as_django_writes_it(reason):
    form = ExerciseLogForm(data={"skip_reason": reason})
    assert str(form["skip_reason"]) == django_rendering(form["skip_reason"])
