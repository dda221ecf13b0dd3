"""The stored choices are the engine's values, each with a label: one definition, two faces.

``programs/progression.py`` stays free of Django, so the labelled choices live on the
models; these tests fail when the engine gains a value the models cannot store.
"""

from patients.models import Answer, ChangeKind
from programs import progression


def test_every_check_in_answer_of_the_engine_is_a_stored_choice_and_no_other():
    assert Answer.values == [answer.value for answer in progression.Answer]


def test_every_kind_of_stage_change_of_the_engine_is_a_stored_choice_and_no_other():
    assert ChangeKind.values == [kind.value for kind in progression.ChangeKind]


def test_an_engine_value_reads_back_as_the_stored_choice():
    assert ChangeKind(progression.ChangeKind.ALERT_ONLY) is ChangeKind.ALERT
    assert Answer(progression.Answer.PAINFUL) is Answer.PAINFUL
