import pytest

from tests.conftest import staff_client


@pytest.fixture
def admin(db):
    """A clinic admin of `north`, signed in."""
    return staff_client("admin.north", "north", "clinic_admin")


@pytest.fixture
def other_admin(db):
    """A clinic admin of `south`, signed in."""
    return staff_client("admin.south", "south", "clinic_admin")
