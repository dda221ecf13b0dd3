"""Outcome measures in the reports: the needs-attention reason and the outcome report."""

import datetime

import pytest

from patients.models import Assignment
from reports.adherence import needs_attention
from reports.services import attention_review
from tests.factories import AssignmentFactory, outcome_response, psfs_answers

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def day(n):
    return MONDAY + datetime.timedelta(days=n)


class TestWorseByMoreThanTheMcid:
    def test_a_score_worse_than_the_first_by_more_than_the_mcid_is_listed(self, carol, erin):
        worse = AssignmentFactory(patient=carol, start_date=MONDAY)
        outcome_response(worse, "nprs", day(0), {"pain": 3})
        outcome_response(worse, "nprs", day(7), {"pain": 6})  # pain up 3 > MCID 2
        same = AssignmentFactory(patient=erin, start_date=MONDAY)
        outcome_response(same, "nprs", day(0), {"pain": 3})
        outcome_response(same, "nprs", day(7), {"pain": 5})  # up 2: not more than the MCID
        outcome_response(same, "psfs", day(0), psfs_answers(6, 6, 6))
        outcome_response(same, "psfs", day(7), psfs_answers(5, 5, 5))
        (item,) = needs_attention(Assignment.objects.all(), today=day(8))
        assert item.assignment_id == worse.pk
        assert item.reasons == (
            "Numeric Pain Rating Scale (NPRS) worse by more than the MCID: 3 → 6",
        )
        assert item.latest == day(7)

    def test_higher_is_better_scales_count_a_fall_as_worse(self, carol):
        assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
        outcome_response(assignment, "psfs", day(0), psfs_answers(7, 6, 8))
        outcome_response(assignment, "psfs", day(14), psfs_answers(4, 4, 4))
        (item,) = needs_attention(Assignment.objects.all(), today=day(15))
        assert (
            "Patient-Specific Functional Scale (PSFS) worse by more than the MCID: 7 → 4"
            in item.reasons
        )

    def test_a_corrected_response_counts_as_corrected_and_a_review_clears_it(self, carol, alice):
        from patients import outcomes

        assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
        outcome_response(assignment, "nprs", day(0), {"pain": 2})
        typo = outcome_response(assignment, "nprs", day(7), {"pain": 9})
        assert needs_attention(Assignment.objects.all(), today=day(8))
        correction = outcomes.response_correct(response=typo)
        correction.answers = {"pain": 3}
        correction.save()
        outcomes.response_submit(response=correction, today=day(8))
        assert needs_attention(Assignment.objects.all(), today=day(8)) == []
        worse = outcome_response(assignment, "nprs", day(14), {"pain": 7})
        assert worse.score == 7
        assert needs_attention(Assignment.objects.all(), today=day(15))
        attention_review(assignment=assignment, by=alice)
        assert needs_attention(Assignment.objects.all(), today=day(15)) == []

    def test_a_scale_without_an_mcid_never_lists_anyone(self, carol):
        assignment = AssignmentFactory(patient=carol, start_date=MONDAY)
        outcome_response(
            assignment,
            "ears",
            day(0),
            {f"ears-{n}": v for n, v in enumerate((0, 4, 4, 0, 4, 0), 1)},
        )
        outcome_response(
            assignment,
            "ears",
            day(7),
            {f"ears-{n}": v for n, v in enumerate((4, 0, 0, 4, 0, 4), 1)},
        )
        assert needs_attention(Assignment.objects.all(), today=day(8)) == []
