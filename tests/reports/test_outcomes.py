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


NOW = datetime.datetime(2026, 3, 25, 12, tzinfo=datetime.UTC)
RANGE = {"start": "2026-03-01", "end": "2026-03-31"}


def program_of(patient, program, therapist, done_per_week):
    from patients.models import ProgramWeek, Session, SessionStatus

    assignment = AssignmentFactory(
        patient=patient,
        start_date=MONDAY,
        program=program,
        name=program.name,
        therapist=therapist,
    )
    for n in range(3):
        first = day(7 * n)
        ProgramWeek.objects.create(
            assignment=assignment,
            starts_on=first,
            ends_on=first + datetime.timedelta(days=6),
            stage="start",
            planned=2,
        )
        for offset in range(done_per_week):
            Session.objects.create(
                assignment=assignment,
                patient=patient,
                performed_on=first + datetime.timedelta(days=offset),
                status=SessionStatus.COMPLETED,
            )
    return assignment


@pytest.fixture
def clinic_outcomes(carol, erin, dave, alice, bob):
    from tests.factories import ProgramFactory

    knees = ProgramFactory(clinic=carol.clinic, name="Knees")
    mine = program_of(carol, knees, alice.staff, 2)
    outcome_response(mine, "nprs", day(0), {"pain": 6})
    outcome_response(mine, "nprs", day(14), {"pain": 2})
    outcome_response(mine, "psfs", day(0), psfs_answers(3, 4, 5))
    outcome_response(mine, "psfs", day(14), psfs_answers(5, 5, 5))
    hers = program_of(erin, knees, alice.staff, 1)
    outcome_response(hers, "nprs", day(0), {"pain": 5})
    outcome_response(hers, "nprs", day(14), {"pain": 4})
    theirs = program_of(dave, ProgramFactory(clinic=dave.clinic, name="Backs"), bob.staff, 2)
    outcome_response(theirs, "nprs", day(0), {"pain": 8})
    outcome_response(theirs, "nprs", day(14), {"pain": 1})
    return mine, hers, theirs


class TestOutcomeReport:
    def scope(self, user):
        from reports.adherence import ReportScope

        return ReportScope(
            Assignment.objects.visible_to(user),
            day(-1),
            datetime.date(2026, 3, 31),
            datetime.date(2026, 3, 25),
        )

    def test_baseline_latest_and_the_share_reaching_the_mcid_per_level_beside_adherence(
        self, clinic_outcomes, alice
    ):
        from reports.outcomes import outcome_rows

        rows = {
            (r.level, r.name.split(" ")[0], r.questionnaire[:4]): r
            for r in outcome_rows(self.scope(alice))
        }
        clinic = rows[("clinic", "", "Nume")]
        assert (clinic.pairs, clinic.baseline, clinic.latest, clinic.improvement) == (
            2,
            5.5,
            3,
            2.5,
        )
        assert (clinic.reached, clinic.with_mcid, clinic.reached_share) == (1, 2, 50.0)
        assert (clinic.planned, clinic.counted, clinic.adherence) == (12, 9, 75.0)
        assert rows[("program", "Knees", "Nume")].pairs == 2
        assert rows[("therapist", "Alice", "Nume")].reached_share == 50.0
        carol = rows[("patient", "Carol", "Pati")]
        assert (carol.baseline, carol.latest, carol.improvement, carol.reached) == (4, 5, 1, 0)
        assert carol.program == "Knees" and carol.adherence == 100.0
        assert not any(r.name in ("Dave", "Backs", "Bob") for r in rows.values())
        assert {level for level, *_ in rows} == {"clinic", "program", "therapist", "patient"}

    def test_a_range_before_the_follow_up_has_no_pair(self, clinic_outcomes, alice):
        from reports.adherence import ReportScope
        from reports.outcomes import outcome_rows

        early = ReportScope(
            Assignment.objects.visible_to(alice), day(-1), day(10), datetime.date(2026, 3, 25)
        )
        assert outcome_rows(early) == []

    def test_the_report_page_and_the_csv_and_xlsx_exports_show_the_outcomes(
        self, client, clinic_outcomes, alice
    ):
        import csv
        import io

        import openpyxl
        import time_machine
        from django.urls import reverse

        client.force_login(alice)
        with time_machine.travel(NOW, tick=False):
            page = client.get(reverse("admin:reports_adherencereport_changelist"), RANGE)
            csv_response = client.post(
                reverse("admin:reports_adherencereport_export"),
                RANGE | {"format": "csv", "rows": "outcome"},
            )
            xlsx_response = client.post(
                reverse("admin:reports_adherencereport_export"),
                RANGE | {"format": "xlsx", "rows": "outcome"},
            )
        content = page.content.decode()
        assert "Outcomes" in content and "50.0% (1/2)" in content and "Program: Knees" in content
        rows = list(csv.DictReader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
        clinic = next(
            r for r in rows if r["level"] == "clinic" and r["questionnaire"].startswith("Num")
        )
        assert clinic["reached_mcid_percent"] == "50.0" and clinic["adherence_percent"] == "75.0"
        assert clinic["baseline_mean"] == "5.5" and clinic["latest_mean"] == "3.0"
        assert {r["name"].split()[0] for r in rows if r["level"] == "patient"} == {"Carol", "Erin"}
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content))).active
        values = list(sheet.values)
        assert values[0][:4] == ("level", "name", "program", "questionnaire")
        assert len(values) == len(rows) + 1

    def test_the_therapist_reads_each_scores_trend_with_its_mcid_band(
        self, client, clinic_outcomes, alice
    ):
        from django.urls import reverse

        mine, _hers, theirs = clinic_outcomes
        client.force_login(alice)
        page = client.get(reverse("admin:reports_adherencereport_patient", args=[mine.pk]))
        content = page.content.decode()
        assert "Questionnaire scores" in content
        assert "Better by 4: more than the MCID (2)." in content
        assert "Better by 1: within the MCID (2)." not in content
        assert "Changed by 1: within the MCID (2)." in content
        assert content.count("chart-band") == 2
        assert "6 ± 2" in content and "4 ± 2" in content
        other = client.get(reverse("admin:reports_adherencereport_patient", args=[theirs.pk]))
        assert other.status_code == 404
