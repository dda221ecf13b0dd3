import pytest

from clinic.models import StaffMember

pytestmark = pytest.mark.django_db


def test_a_therapist_may_edit_programs_but_not_staff(alice):
    assert alice.has_perm("programs.change_program")
    assert not alice.has_perm("clinic.add_staffmember")


def test_a_clinic_admin_may_manage_staff(alma):
    assert alma.has_perm("clinic.add_staffmember")
    assert alma.has_perm("patients.delete_patient")


def test_a_patient_has_no_permission_at_all(carol):
    assert carol.user.get_all_permissions() == set()
    assert not carol.user.has_module_perms("patients")


def test_a_deactivated_staff_member_loses_every_permission(alice):
    StaffMember.objects.filter(user=alice).update(is_active=False)
    alice.refresh_from_db()
    assert not alice.has_perm("programs.change_program")
