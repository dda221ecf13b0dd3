"""The codes the FHIR interface emits: standard ones where the guides give them, and
Flexion's own code system (served at ``CodeSystem/flexion``) for the rest.

Only codes we are sure of are used: SNOMED CT and LOINC from HL7's Physical Activity
implementation guide (hl7.fhir.us.physical-activity STU1) and the core R4 code systems.
"""

from __future__ import annotations

# The canonical URL of Flexion's code system: an identifier that never changes with the
# server it is read from (docs/fhir.md). Each server also serves the definition itself.
FLEXION_SYSTEM = "https://flexion.health/fhir/CodeSystem/flexion"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
PA_CODES = "http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_PERTAINS = "http://hl7.org/fhir/StructureDefinition/resource-pertainsToGoal"
# Core R4 extensions of Questionnaire items: a number's range, a choice's score value.
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# Flexion's canonical URLs of its questionnaires and of the two QuestionnaireResponse
# extensions R4 has no element for (docs/fhir.md): identifiers, like FLEXION_SYSTEM.
FLEXION_FHIR = "https://flexion.health/fhir"
QUESTIONNAIRES = f"{FLEXION_FHIR}/Questionnaire"
# The response's score by its questionnaire version's rule (valueDecimal).
SCORE_EXTENSION = f"{FLEXION_FHIR}/StructureDefinition/questionnaire-score"
# The sent response a correction replaces (valueReference).
REPLACES_EXTENSION = f"{FLEXION_FHIR}/StructureDefinition/replaces"


def coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def concept(*codings: dict, text: str | None = None) -> dict:
    result: dict = {"coding": list(codings)}
    if text:
        result["text"] = text
    return result


# The Physical Activity guide's category of every resource about a patient's activity.
PHYSICAL_ACTIVITY = coding(PA_CODES, "PhysicalActivity", "Physical Activity")
# The guide's panel code: one observation grouping the measures of one bout of activity.
PA_PANEL = coding(PA_CODES, "PAPanel", "Physical Activity Panel")
# SNOMED CT, from the guide's ServiceRequest value sets.
PHYSICAL_THERAPY_PROCEDURE = coding(SNOMED, "91251008", "Physical therapy procedure")
EXERCISE_THERAPY = coding(SNOMED, "229065009", "Exercise therapy")
# LOINC: the guide's activity measure, and the 0-10 pain score.
EXERCISE_ACTIVITY = coding(LOINC, "73985-4", "Exercise activity")
PAIN_SEVERITY = coding(
    LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
)
# R4's observation categories.
ACTIVITY = coding(OBSERVATION_CATEGORY, "activity", "Activity")
SURVEY = coding(OBSERVATION_CATEGORY, "survey", "Survey")

# Flexion's own codes: (code, display, definition). The single list the code system,
# the mappers and docs/fhir.md are written from.
FLEXION_CONCEPTS: tuple[tuple[str, str, str], ...] = (
    ("exercise-session", "Home exercise session", "One session of a patient's home program."),
    ("session-effort", "Session effort (0-10)", "How hard the patient found the session."),
    ("sets-done", "Sets done", "Sets of a prescribed exercise the patient did."),
    ("reps-done", "Repetitions done", "Repetitions per set the patient did."),
    ("exercise-skipped", "Exercise skipped", "The patient skipped the exercise."),
    ("skip-reason", "Reason for skipping", "Why the patient skipped the exercise."),
    ("next-day-check-in", "Next-day check-in", "How the patient feels the day after a session."),
    ("fine", "Fine", "Check-in answer: no soreness."),
    ("sore", "A bit sore (normal)", "Check-in answer: the normal soreness of training."),
    ("very_sore", "Very sore", "Check-in answer: more soreness than expected."),
    ("painful", "Sketchy or painful", "Check-in answer: pain that needs the therapist's look."),
)
_DISPLAYS = {code: display for code, display, _definition in FLEXION_CONCEPTS}


def flexion(code: str) -> dict:
    return coding(FLEXION_SYSTEM, code, _DISPLAYS[code])


def flexion_code_system() -> dict:
    """The CodeSystem resource of Flexion's own codes."""
    return {
        "resourceType": "CodeSystem",
        "id": "flexion",
        "url": FLEXION_SYSTEM,
        "name": "FlexionCodes",
        "title": "Flexion home exercise codes",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "publisher": "Flexion",
        "description": (
            "Codes for the home exercise records Flexion keeps for which no SNOMED CT or "
            "LOINC code is given by HL7's Physical Activity implementation guide."
        ),
        "count": len(FLEXION_CONCEPTS),
        "concept": [
            {"code": code, "display": display, "definition": definition}
            for code, display, definition in FLEXION_CONCEPTS
        ],
    }
