"""Keep an assignment's cache versions in step: its items version with its items and their
exercises, its outcomes version with its questionnaire schedule and responses."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from programs.models import Exercise, ExercisePicture, Questionnaire

from .models import Assignment, AssignmentQuestionnaire, OutcomeResponse, PrescriptionItem
from .outcomes import outcomes_changed
from .player import items_changed


@receiver(post_save, sender=PrescriptionItem)
@receiver(post_delete, sender=PrescriptionItem)
def prescription_item_changed(sender, instance: PrescriptionItem, **kwargs) -> None:
    items_changed(Assignment.objects.filter(pk=instance.assignment_id))


@receiver(post_save, sender=Exercise)
def exercise_changed(sender, instance: Exercise, created: bool, **kwargs) -> None:
    """An exercise's name, steps or video changed: so did every prescription with it.

    (A prescribed exercise cannot be deleted: its items protect it.)
    """
    if not created:
        items_changed(Assignment.objects.filter(items__exercise=instance))


@receiver(post_save, sender=ExercisePicture)
@receiver(post_delete, sender=ExercisePicture)
def exercise_picture_changed(sender, instance: ExercisePicture, **kwargs) -> None:
    """A picture added or deleted: the players of every prescription with its exercise."""
    items_changed(Assignment.objects.filter(items__exercise_id=instance.exercise_id))


@receiver(post_save, sender=AssignmentQuestionnaire)
@receiver(post_delete, sender=AssignmentQuestionnaire)
@receiver(post_save, sender=OutcomeResponse)
@receiver(post_delete, sender=OutcomeResponse)
def outcome_changed(sender, instance, **kwargs) -> None:
    """A schedule row or a response saved or deleted: what is due may have changed."""
    outcomes_changed(Assignment.objects.filter(pk=instance.assignment_id))


@receiver(post_save, sender=Questionnaire)
def questionnaire_changed(sender, instance: Questionnaire, created: bool, **kwargs) -> None:
    """A questionnaire renamed: the due lists that show its title."""
    if not created:
        outcomes_changed(Assignment.objects.filter(questionnaires__questionnaire=instance))
