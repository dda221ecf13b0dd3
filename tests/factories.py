import datetime

import factory

from clinic.models import Clinic, Role, StaffMember, User
from patients.models import Assignment, Patient, PrescriptionItem
from programs.models import Category, Exercise, Program, ProgramItem, ProgressionScheme

PASSWORD = "a-long-test-password"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    user = factory.SubFactory(UserFactory, is_staff=True)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.THERAPIST


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    timezone = "Europe/London"
    reminder_consent = True


def default_scheme() -> ProgressionScheme:
    return ProgressionScheme.objects.get(clinic=None, is_default=True)


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    clinic = factory.SubFactory(ClinicFactory)
    key = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    category = Category.STRETCH
    starting_position = "lying_on_back"
    steps = factory.LazyFunction(lambda: ["Lie on your back.", "Bring one knee to your chest."])
    sets = 1
    reps = 2
    hold_seconds = 20


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    scheme = factory.LazyFunction(default_scheme)


class ProgramItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramItem

    program = factory.SubFactory(ProgramFactory)
    exercise = factory.SubFactory(ExerciseFactory, clinic=factory.SelfAttribute("..program.clinic"))
    order = factory.Sequence(int)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    name = "Hip flexor stretches for back pain"
    scheme = factory.LazyFunction(default_scheme)
    start_date = datetime.date(2026, 3, 2)
    timezone = factory.SelfAttribute("patient.timezone")


class PrescriptionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrescriptionItem

    assignment = factory.SubFactory(AssignmentFactory)
    exercise = factory.SubFactory(
        ExerciseFactory, clinic=factory.SelfAttribute("..assignment.clinic")
    )
    order = factory.Sequence(int)


def outcome_response(assignment, code: str, occasion, answers: dict, *, submitted_on=None):
    """A sent questionnaire response, through the patient's own services (scored by them)."""
    from patients import outcomes
    from programs.models import Questionnaire
    from programs.services import starter_questionnaires_load

    if not Questionnaire.objects.filter(clinic=None, code=code).exists():
        starter_questionnaires_load()
    questionnaire = Questionnaire.objects.get(clinic=None, code=code)
    response = outcomes.response_start(
        assignment=assignment, questionnaire=questionnaire, occasion=occasion
    )
    response.answers = answers
    response.save()
    return outcomes.response_submit(response=response, today=submitted_on or occasion)


def psfs_answers(*ratings: int) -> dict:
    names = ("Walking", "Stairs", "Lifting", "Running", "Gardening")
    answers = {}
    for number, (name, rating) in enumerate(
        zip(names[: len(ratings)], ratings, strict=True), start=1
    ):
        answers[f"activity-{number}-name"] = name
        answers[f"activity-{number}-score"] = rating
    return answers
