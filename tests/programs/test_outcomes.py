"""The pure outcome rules: definitions, validation, the published scoring, schedules, trends.

Pure code: no database (the suite's conftest still sets Django up).

Each instrument's scoring is tested against its published rule. The sources, and what
they give (re-read for this file where a public copy was reachable):

- PSFS: Stratford P, Gill C, Westaway M, Binkley J. Assessing disability and change on
  individual patients: a report of a patient specific measure. Physiotherapy Canada
  1995;47:258-263, and the scale's own form (the one clinics print, "reproduced with the
  permission of the authors"): 3-5 activities, each 0 ("unable to perform") to 10 ("able
  to perform at the same level as before"); "Total score = sum of the activity
  scores/number of activities"; "Minimum detectable change (90% CI) for average score =
  2 points", 3 points for a single activity. The form gives the rule, not a worked case:
  the numbers below are that rule worked by hand. Flexion's "MCID" of 2 is the form's
  minimum detectable change of the average score.
- NPRS: an 11-point 0-10 rating, the score is the number chosen, lower is better; a
  2-point change as clinically important (Farrar et al., Pain 2001;94:149-158; Childs et
  al., Spine 2005;30:1331-1334; not re-read here). Nothing to work out but the identity.
- EARS: Newman-Beinart NA, Norton S, Dowling D, et al. The development and initial
  psychometric evaluation of a measure assessing adherence to prescribed exercise: the
  Exercise Adherence Rating Scale (EARS). Physiotherapy 2017;103(2):180-185. Six items,
  each 0 ("completely agree") to 4 ("completely disagree"), higher = better adherence, so
  the three positively worded items (1 "as often as recommended", 4 "fit into my routine",
  6 "most, or all") are reversed; total 0-24. The extremes and the middle below follow
  from that rule.
- HOOS-12 (not shipped; see docs/outcomes.md): Gandek B, Roos EM, Franklin PD, Ware JE Jr.
  Item selection for 12-item short forms of the Knee injury and Osteoarthritis Outcome
  Score (KOOS-12) and Hip disability and Osteoarthritis Outcome Score (HOOS-12).
  Osteoarthritis Cartilage 2019;27(5):746-753, and the scoring notes at koos.nu (the
  HOOS-12 page and the HOOS scoring instructions, 2013): items 0 (none) to 4 (extreme);
  each of Pain, Function and QOL (4 items each) is scored alone, 100 = no problems,
  0 = extreme: score = 100 - mean(items) x 100/4 = 100 - 25 x mean; at least half the
  items (2 of 4) answered, a missing item taking the patient's own mean. A clinic can
  define each subscale with Flexion's `mean` by giving the answers the values 100, 75,
  50, 25, 0: the tests below check that this is exactly the manual's formula.
"""

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programs.outcomes import (
    DefinitionError,
    Schedule,
    answers_clean,
    answers_complete,
    change,
    definition_parse,
    definition_translate,
    due_occasion,
    missing_languages,
    number_text,
    score,
)

STARTER = Path(__file__).resolve().parents[2] / "programs" / "starter" / "questionnaires.json"
DEFINITIONS = {data["name"]: data for data in json.loads(STARTER.read_text())}
PSFS = definition_parse(DEFINITIONS["psfs"])
NPRS = definition_parse(DEFINITIONS["nprs"])
EARS = definition_parse(DEFINITIONS["ears"])


def psfs(*activities):
    answers = {}
    for number, (name, rating) in enumerate(activities, start=1):
        answers[f"activity-{number}-name"] = name
        answers[f"activity-{number}-score"] = rating
    return answers


def ears(*values):
    return {f"ears-{number}": value for number, value in enumerate(values, start=1)}


def test_every_shipped_definition_parses_with_its_scale():
    assert (PSFS.scoring.minimum, PSFS.scoring.maximum, PSFS.scoring.mcid) == (0, 10, 2)
    assert (NPRS.scoring.higher_is_better, NPRS.scoring.mcid) == (False, 2)
    assert (EARS.scoring.minimum, EARS.scoring.maximum, EARS.scoring.mcid) == (0, 24, None)
    assert [len(d.questions) for d in (PSFS, NPRS, EARS)] == [10, 1, 6]


def test_psfs_scores_the_mean_of_the_named_activities():
    """Stratford 1995 / the PSFS form: sum of the activity scores / number of activities."""
    assert score(PSFS, psfs(("Walking", 3), ("Stairs", 4), ("Gardening", 5))) == 4
    assert score(PSFS, psfs(("Walking", 3), ("Stairs", 4), ("Gardening", 6))) == 4.33
    five = psfs(("a", 0), ("b", 10), ("c", 10), ("d", 10), ("e", 10))
    assert score(PSFS, five) == 8


def test_psfs_ignores_a_rating_without_an_activity():
    """The form counts activities the patient named: a bare rating is not one."""
    answers = psfs(("Walking", 3), ("Stairs", 5), ("Running", 7))
    answers["activity-4-score"] = 0  # no name: not an activity the patient chose
    assert score(PSFS, answers) == 5


def test_nprs_scores_the_number_chosen():
    """NPRS: the score is the 0-10 number itself; lower is better, 2 points matter."""
    assert [score(NPRS, {"pain": value}) for value in (0, 6, 10)] == [0, 6, 10]
    assert (NPRS.scoring.higher_is_better, NPRS.scoring.mcid) == (False, 2)


def test_ears_published_examples():
    """Newman-Beinart 2017: items 0-4 from "completely agree", the positive items 1, 4 and 6
    reversed, total 0-24, higher = more adherent."""
    assert EARS.scoring.reverse == {"ears-1", "ears-4", "ears-6"}
    positive = [EARS.questions[n - 1].text for n in (1, 4, 6)]
    assert positive == [
        "I do my exercises as often as recommended.",
        "I fit my exercises into my regular routine.",
        "I do most, or all, of my exercises.",
    ]
    assert score(EARS, ears(0, 4, 4, 0, 4, 0)) == 24  # fully adherent
    assert score(EARS, ears(4, 0, 0, 4, 0, 4)) == 0
    assert score(EARS, ears(2, 2, 2, 2, 2, 2)) == 12
    assert score(EARS, ears(1, 3, 3, 1, 3, 1)) == 18  # "agree"/"disagree" throughout


def test_ears_with_an_item_left_out_has_no_score():
    answers = ears(0, 4, 4, 0, 4, 0)
    del answers["ears-6"]
    assert score(EARS, answers) is None


# HOOS-12 as a clinic defines a subscale (the licensed item wording is theirs, not ours):
# the manual's answers none..extreme (0-4) carry the values 100, 75, 50, 25, 0.
HOOS12_LEVELS = ("None", "Mild", "Moderate", "Severe", "Extreme")
HOOS12_PAIN = definition_parse(
    {
        "name": "hoos12-pain",
        "title": "HOOS-12 Pain",
        "item": [
            {
                "linkId": f"pain-{n}",
                "text": f"Pain item {n} (the licensed wording)",
                "type": "choice",
                "answerOption": [
                    {"value": 100 - 25 * level, "display": display}
                    for level, display in enumerate(HOOS12_LEVELS)
                ],
            }
            for n in range(1, 5)
        ],
        "scoring": {
            "method": "mean",
            "items": [f"pain-{n}" for n in range(1, 5)],
            "min": 0,
            "max": 100,
            "higherIsBetter": True,
        },
    }
)


def hoos12(*levels):
    """Answers by the manual's 0-4 coding (None: left out)."""
    return {
        f"pain-{n}": 100 - 25 * level
        for n, level in enumerate(levels, start=1)
        if level is not None
    }


def test_hoos12_subscale_is_100_minus_25_times_the_mean_item():
    """koos.nu HOOS-12 / HOOS scoring (2013); Gandek 2019: 100 - mean(items 0-4) x 100/4."""
    assert score(HOOS12_PAIN, hoos12(0, 0, 0, 0)) == 100  # no hip problems
    assert score(HOOS12_PAIN, hoos12(4, 4, 4, 4)) == 0  # extreme problems
    assert score(HOOS12_PAIN, hoos12(0, 1, 2, 3)) == 62.5  # 100 - 1.5 x 25
    assert score(HOOS12_PAIN, hoos12(1, 2, 2, 2)) == 56.25  # 100 - 1.75 x 25
    # A missing item takes the patient's own mean: 1, 2 and 2 answered is 100 - (5/3) x 25.
    assert score(HOOS12_PAIN, hoos12(1, 2, 2, None)) == 58.33


@given(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=4, max_size=4))
def test_hoos12_matches_the_manuals_formula_for_any_answers(levels):
    answered = [level for level in levels if level is not None]
    expected = round(100 - 25 * sum(answered) / len(answered), 2) if answered else None
    assert score(HOOS12_PAIN, hoos12(*levels)) == expected


def test_missing_and_out_of_range_answers_get_a_problem_per_item():
    clean, problems = answers_clean(
        PSFS.screens[0].children, {"activity-1-name": " ", "activity-1-score": "11"}
    )
    assert clean == {}
    assert problems == {"activity-1-name": "required", "activity-1-score": "out_of_range"}
    _clean, problems = answers_clean(EARS.questions[:2], {"ears-1": "5", "ears-2": "x"})
    assert problems == {"ears-1": "not_an_option", "ears-2": "not_a_number"}
    _clean, problems = answers_clean(NPRS.questions, {"pain": True})
    assert problems == {"pain": "not_a_number"}


def test_a_named_optional_activity_needs_its_rating_before_sending():
    answers = psfs(("Walking", 3), ("Stairs", 4), ("Gardening", 5))
    answers["activity-4-name"] = "Cycling"
    assert answers_complete(PSFS, answers) == {"activity-4-score": "required"}
    answers["activity-4-score"] = 8
    assert answers_complete(PSFS, answers) == {}


def test_bad_definitions_are_refused_with_a_reason():
    broken = dict(DEFINITIONS["nprs"], scoring={"method": "single", "items": ["nope"]})
    with pytest.raises(DefinitionError, match="names items"):
        definition_parse(broken)
    with pytest.raises(DefinitionError, match="scoring method"):
        definition_parse(dict(DEFINITIONS["nprs"], scoring={"method": "median", "items": []}))
    with pytest.raises(DefinitionError):
        definition_parse({"item": []})


NPRS_DE = {
    "Numeric Pain Rating Scale (NPRS)": "Numerische Schmerzskala (NPRS)",
    "Which number best describes your pain on average over the last 24 hours?": "Welche Zahl?",
    "0 = no pain": "0 = keine Schmerzen",
}


def test_a_definition_reads_in_the_language_asked_else_as_written():
    translated = definition_translate(DEFINITIONS["nprs"], {"de": NPRS_DE})
    german = definition_parse(translated, "de")
    assert german.title == "Numerische Schmerzskala (NPRS)"
    (pain,) = german.questions
    assert (pain.text, pain.low_label) == ("Welche Zahl?", "0 = keine Schmerzen")
    assert pain.high_label == "10 = worst pain imaginable"  # no translation: English
    assert definition_parse(translated, "de-CH").questions[0].text == "Welche Zahl?"
    assert definition_parse(translated, "es").questions[0].text.startswith("Which number")
    assert definition_parse(translated) == NPRS  # the scale and the English are untouched


def test_translations_are_fhir_translation_extensions_beside_the_text():
    translated = definition_translate(DEFINITIONS["nprs"], {"de": NPRS_DE, "es": {}})
    assert translated["_title"] == {
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/translation",
                "extension": [
                    {"url": "lang", "valueCode": "de"},
                    {"url": "content", "valueString": "Numerische Schmerzskala (NPRS)"},
                ],
            }
        ]
    }
    assert "_text" in translated["item"][0] and "_highLabel" not in translated["item"][0]
    assert DEFINITIONS["nprs"].get("_title") is None  # the original is not changed


def test_an_option_label_reads_translated():
    translated = definition_translate(DEFINITIONS["ears"], {"es": {"Agree": "De acuerdo"}})
    options = definition_parse(translated, "es").questions[0].options
    assert [option.label for option in options][:2] == ["Completely agree", "De acuerdo"]


def test_the_languages_missing_are_those_without_every_text():
    assert missing_languages(DEFINITIONS["nprs"], ["de", "es"]) == ["de", "es"]
    partly = definition_translate(DEFINITIONS["nprs"], {"de": NPRS_DE})
    assert missing_languages(partly, ["de", "es"]) == ["de", "es"]
    texts = ("title", "description", "text", "lowLabel", "highLabel")
    everything = {
        value: f"DE {value}"
        for value in [DEFINITIONS["nprs"].get(key) for key in texts]
        + [DEFINITIONS["nprs"]["item"][0].get(key) for key in texts]
        if value
    }
    assert missing_languages(
        definition_translate(DEFINITIONS["nprs"], {"de": everything}), ["de", "es"]
    ) == ["es"]


@pytest.mark.parametrize(
    "element",
    [
        "Welche Zahl?",
        {"extension": "no list"},
        {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation"}]},
        {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/translation",
                    "extension": [{"url": "lang", "valueCode": "de"}],
                }
            ]
        },
    ],
)
def test_a_malformed_translation_is_refused_with_a_reason(element):
    broken = json.loads(json.dumps(DEFINITIONS["nprs"]))
    broken["item"][0]["_text"] = element
    with pytest.raises(DefinitionError, match="_text must hold translation extensions"):
        definition_parse(broken)


def test_another_extension_on_a_text_is_left_alone():
    other = json.loads(json.dumps(DEFINITIONS["nprs"]))
    other["item"][0]["_text"] = {"extension": [{"url": "http://example.org/x", "valueInteger": 1}]}
    assert definition_parse(other, "de") == NPRS


@given(st.lists(st.integers(0, 10), min_size=1, max_size=5))
def test_psfs_score_stays_on_its_scale_and_between_the_ratings(ratings):
    result = score(PSFS, psfs(*[(f"activity {i}", r) for i, r in enumerate(ratings)]))
    assert min(ratings) - 0.01 <= result <= max(ratings) + 0.01
    assert 0 <= result <= 10


@given(st.lists(st.integers(0, 4), min_size=6, max_size=6))
def test_ears_score_stays_on_its_scale(values):
    assert 0 <= score(EARS, ears(*values)) <= 24


@given(st.integers(0, 10), st.integers(0, 10))
def test_improvement_counts_the_scale_s_better_way(before, after):
    pain = change(NPRS.scoring, before, after)
    function = change(PSFS.scoring, before, after)
    assert pain.improvement == -function.improvement == before - after
    assert pain.reached_mcid == (before - after >= 2)
    assert pain.worse_than_mcid == (after - before > 2)
    assert not (pain.reached_mcid and pain.worse_than_mcid)


def test_no_mcid_means_never_reached_nor_worse():
    assert not change(EARS.scoring, 24, 0).worse_than_mcid
    assert not change(EARS.scoring, 0, 24).reached_mcid


def test_numbers_read_plainly():
    assert [number_text(v) for v in (3.0, 5.67, 4.5, 10.0)] == ["3", "5.67", "4.5", "10"]


MONDAY = datetime.date(2026, 3, 2)


def test_schedule_at_start_every_four_weeks_and_at_the_end():
    schedule = Schedule(at_start=True, every_weeks=4, end_after_weeks=10)
    days = schedule.occasions(MONDAY, MONDAY + datetime.timedelta(weeks=20))
    assert days == [MONDAY + datetime.timedelta(weeks=w) for w in (0, 4, 8, 10)]


def test_a_questionnaire_is_due_for_a_week_from_its_date_until_answered():
    schedule = Schedule(at_start=True, every_weeks=2)
    two_weeks = MONDAY + datetime.timedelta(weeks=2)
    assert due_occasion(schedule, MONDAY, MONDAY, []) == MONDAY
    assert due_occasion(schedule, MONDAY, MONDAY, [MONDAY]) is None
    assert due_occasion(schedule, MONDAY, MONDAY + datetime.timedelta(days=7), []) == MONDAY
    assert due_occasion(schedule, MONDAY, MONDAY + datetime.timedelta(days=8), []) is None
    assert due_occasion(schedule, MONDAY, two_weeks, [MONDAY]) == two_weeks


@given(
    st.booleans(),
    st.integers(0, 8),
    st.one_of(st.none(), st.integers(1, 30)),
    st.integers(0, 300),
)
def test_occasions_are_sorted_unique_and_inside_the_program(at_start, every, end, days):
    schedule = Schedule(at_start, every, end)
    until = MONDAY + datetime.timedelta(days=days)
    occasions = schedule.occasions(MONDAY, until)
    assert occasions == sorted(set(occasions))
    assert all(MONDAY <= day <= until for day in occasions)
    if end:
        assert all(day <= MONDAY + datetime.timedelta(weeks=end) for day in occasions)
    assert (MONDAY in occasions) == at_start
