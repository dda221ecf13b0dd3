"""Template context for every page of the patient site."""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

SITE_LINKS = ("home", "history", "logout", "session_log_past")


@functools.lru_cache(maxsize=16)
def _site_links(script_prefix: str) -> dict[str, str]:
    # reverse() reads the script prefix itself: one entry per prefix the server is reached by.
    return {name: reverse(f"patients:{name}") for name in SITE_LINKS}


def site_links(request) -> dict:
    """The header's links (``site_links.home`` …), reversed once per process, not per page.

    Reversing a URL name costs about as much CPU as a small query (BENCHMARKS.md measures
    the patient pages against the framework floor), and these never change while the
    process runs.
    """
    return {"site_links": _site_links(get_script_prefix())}


@receiver(setting_changed)
def _site_links_forget(setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _site_links.cache_clear()
