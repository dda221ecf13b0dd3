import pytest


@pytest.fixture
def starter_library(db):
    """The shared starter exercises and default programs, as `make run` loads them."""
    from programs.services import starter_library_load

    starter_library_load()
