"""Keep a progression scheme's stages version in step with its stages."""

import uuid

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ProgressionScheme, SchemeStage


@receiver(post_save, sender=SchemeStage)
@receiver(post_delete, sender=SchemeStage)
def scheme_stages_changed(sender, instance: SchemeStage, **kwargs) -> None:
    """Give the stage's scheme a new stages version: progress cached for the old one is not read.

    Random rather than a counter, like an assignment's history version, so that a version
    rolled back with its transaction is never used again.
    """
    ProgressionScheme.objects.filter(pk=instance.scheme_id).update(stages_version=uuid.uuid4())
