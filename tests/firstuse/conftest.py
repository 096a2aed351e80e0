"""The first-use tests go through the browser pages and the API: both clients are needed here."""

from tests.api.conftest import api  # noqa: F401
from tests.ui.conftest import client_for  # noqa: F401
