import pytest
from django.contrib.auth.models import AnonymousUser

from clinic.models import Clinic, StaffMember
from patients.models import Assignment, Patient, PrescriptionItem
from programs.models import Exercise
from tests.factories import AssignmentFactory, ExerciseFactory, PrescriptionItemFactory

pytestmark = pytest.mark.django_db


def test_a_therapist_sees_only_patients_of_their_clinic(alice, carol, erin, dave):
    assert set(Patient.objects.visible_to(alice)) == {carol, erin}


def test_a_patient_sees_only_their_own_patient_record(carol, erin, dave):
    assert list(Patient.objects.visible_to(carol.user)) == [carol]


def test_a_patient_sees_only_their_own_assignments_and_items(carol, erin):
    own = PrescriptionItemFactory(assignment=AssignmentFactory(patient=carol))
    PrescriptionItemFactory(assignment=AssignmentFactory(patient=erin))
    assert list(Assignment.objects.visible_to(carol.user)) == [own.assignment]
    assert list(PrescriptionItem.objects.visible_to(carol.user)) == [own]


def test_a_therapist_sees_nothing_of_another_clinics_assignments(alice, bob, carol, dave):
    ours = AssignmentFactory(patient=carol)
    AssignmentFactory(patient=dave)
    assert list(Assignment.objects.visible_to(alice)) == [ours]


def test_the_shared_library_is_visible_to_every_clinic_but_owned_by_none(alice, bob, clinic_a):
    shared = ExerciseFactory(clinic=None, name="Shared stretch")
    own = ExerciseFactory(clinic=clinic_a, name="Our stretch")
    assert set(Exercise.objects.visible_to(alice)) == {shared, own}
    assert set(Exercise.objects.visible_to(bob)) == {shared}
    assert list(Exercise.objects.owned_by_clinic_of(alice)) == [own]
    assert list(Exercise.objects.owned_by_clinic_of(bob)) == []


def test_a_patient_does_not_see_the_library_directly(carol):
    ExerciseFactory(clinic=None)
    assert not Exercise.objects.visible_to(carol.user).exists()


def test_anonymous_and_inactive_users_see_nothing(alice, carol):
    assert not Patient.objects.visible_to(AnonymousUser()).exists()
    StaffMember.objects.filter(user=alice).update(is_active=False)
    alice.refresh_from_db()
    assert not Patient.objects.visible_to(alice).exists()


def test_a_therapist_sees_only_their_own_clinic(alice, clinic_b):
    assert list(Clinic.objects.visible_to(alice)) == [alice.staff.clinic]
