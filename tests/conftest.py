"""Named people of the tests.

alice is a therapist of clinic A and alma its clinic admin; carol is a patient
of clinic A with a login. bob is a therapist of clinic B and dave his patient:
alice and carol must never see anything of theirs.
"""

import pytest

# Models are imported inside the fixtures so that the pure domain tests also run
# without Django (`pytest -p no:django tests/programs/test_progression.py`).


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("django"):
        return
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(
            f"The tests run on PostgreSQL (DATABASE_URL), not {engine}. Use `make test`."
        )


@pytest.fixture
def clinic_a(db):
    from .factories import ClinicFactory

    return ClinicFactory(name="Clinic A", slug="clinic-a", timezone="Europe/London")


@pytest.fixture
def clinic_b(db):
    from .factories import ClinicFactory

    return ClinicFactory(name="Clinic B", slug="clinic-b", timezone="America/New_York")


def _staff(clinic, role, email, name):
    from clinic.models import Role

    from .factories import StaffFactory

    return StaffFactory(
        clinic=clinic, role=Role(role), user__email=email, user__full_name=name
    ).user


def _patient(clinic, email, name):
    from .factories import PatientFactory, UserFactory

    user = UserFactory(email=email, full_name=name)
    return PatientFactory(clinic=clinic, user=user, first_name=name, email=email)


@pytest.fixture
def alice(clinic_a):
    """A therapist of clinic A."""
    return _staff(clinic_a, "therapist", "alice@a.example", "Alice")


@pytest.fixture
def alma(clinic_a):
    """The clinic admin of clinic A."""
    return _staff(clinic_a, "clinic_admin", "alma@a.example", "Alma")


@pytest.fixture
def bob(clinic_b):
    """A therapist of clinic B."""
    return _staff(clinic_b, "therapist", "bob@b.example", "Bob")


@pytest.fixture
def carol(clinic_a):
    """A patient of clinic A, with a login."""
    return _patient(clinic_a, "carol@a.example", "Carol")


@pytest.fixture
def erin(clinic_a):
    """A second patient of clinic A, with a login."""
    return _patient(clinic_a, "erin@a.example", "Erin")


@pytest.fixture
def dave(clinic_b):
    """A patient of clinic B, with a login."""
    return _patient(clinic_b, "dave@b.example", "Dave")


@pytest.fixture(scope="session", autouse=True)
def _redis_keyspace_of_this_run(request):
    """Give this run's Celery tasks a Redis keyspace of their own (see tests/celery_broker.py)."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from .celery_broker import keyspace_of_this_run

    with keyspace_of_this_run():
        yield


@pytest.fixture(autouse=True)
def _security_settings_for_tests(request):
    """Let tests sign staff in without a second factor, and hash passwords quickly.

    Production requires two-factor sign-in for staff (FLEXION_REQUIRE_STAFF_MFA),
    hashes with Argon2 and locks out repeated failures (django-axes, which refuses
    ``client.login()`` because it passes no request). The tests of those features
    (tests/clinic/test_security_*.py) turn them back on: ``staff_mfa_required``,
    ``login_lockout`` and ``settings``.
    """
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.FLEXION_REQUIRE_STAFF_MFA = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _uploads_in_a_folder_of_the_test(request, tmp_path):
    """Store each test's uploaded files (exercise pictures) in a folder of its own."""
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """Start each test in the site's language: a request in German leaves German active in
    its thread (LocaleMiddleware activates, nothing deactivates), as in a web worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _rate_limits_fresh(request):
    """Start each test with no rate-limit counters (they live in the shared default cache).

    Only the keys of Flexion's default cache go: the Redis database may hold a broker's too.
    """
    if not request.config.pluginmanager.hasplugin("django"):
        return
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=cache.make_key("*")))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture
def celery_eager():
    """Run tasks in the test's own process as they are enqueued (no broker, no worker)."""
    from flexion.celery import app

    # The app reads Django's settings with the CELERY_ namespace: keys carry the prefix.
    previous = app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks, celery_eager):
    """A block whose on-commit work (enqueued tasks) runs, tasks inline, when the block ends.

    Account emails leave from Celery tasks enqueued once the request commits; inside a
    test's transaction nothing commits, so the test says where the commit would be.
    """
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def staff_mfa_required(settings):
    """Require two-factor sign-in for staff, as production does."""
    settings.FLEXION_REQUIRE_STAFF_MFA = True


@pytest.fixture
def login_lockout(settings):
    """Lock out repeated sign-in failures, as production does."""
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _migration_rows_back_after_flush(request):
    """Put back the rows the data migrations create, for transactional tests.

    A transactional test (live server, real Celery worker) empties every table when
    it ends, so the next one would find no progression scheme, body regions or
    equipment. The non-transactional tests run first and are not affected.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    importlib.import_module("programs.migrations.0002_seed_scheme_regions_equipment").seed(
        apps, None
    )


# Deadlines of a page's actions and assertions: generous, for a busy machine; a passing test
# waits only as long as the page takes.
BROWSER_TIMEOUT_MS = 30_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole run, driven by Playwright."""
    import os

    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)

    # Playwright's sync API runs an event loop in the test's thread; the tests still
    # query the database synchronously from it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_context(browser):
    """Open browser contexts (own cookies) for one test; close them and the DB connection after."""
    from django.db import connections

    contexts = []

    def open_context(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    # Queries made while Playwright's event loop runs get a connection of their own;
    # close it, or it keeps the test database busy at teardown.
    connections.close_all()
