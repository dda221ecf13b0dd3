import pytest


@pytest.fixture(autouse=True)
def bench_app(settings):
    """Install the benchmark's development-only app, as FLEXION_BENCH_APPS does for make bench."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "bench"]
