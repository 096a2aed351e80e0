"""The rows of the door matrix (tests/workflow/test_door_matrix.py): how each door answers
(``world``), the registry the rows fill (``registry``), and one module of rows per rule family.
Importing the package registers every row."""

from . import rows_domain, rows_lifecycle, rows_people, rows_records  # noqa: F401  (importing them registers the rows)
from .registry import CHECKS, SETUPS
from .world import World

__all__ = ["CHECKS", "SETUPS", "World"]
