"""Keep a scheme's stages version in step with its stages; remove deleted pictures' files."""

import uuid

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ExercisePicture, ProgressionScheme, SchemeStage
from .services import picture_files_delete


@receiver(post_save, sender=SchemeStage)
@receiver(post_delete, sender=SchemeStage)
def scheme_stages_changed(sender, instance: SchemeStage, **kwargs) -> None:
    """Give the stage's scheme a new stages version: progress cached for the old one is not read.

    Random rather than a counter, like an assignment's history version, so that a version
    rolled back with its transaction is never used again.
    """
    ProgressionScheme.objects.filter(pk=instance.scheme_id).update(stages_version=uuid.uuid4())


@receiver(post_delete, sender=ExercisePicture)
def picture_files_remove(sender, instance: ExercisePicture, **kwargs) -> None:
    """Remove a deleted picture's files once the deletion is committed (never before)."""
    names = [instance.large.name, instance.thumb.name]
    transaction.on_commit(lambda: picture_files_delete(names))
