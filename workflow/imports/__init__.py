"""Import of existing agreements from a CSV or XLSX file (one row per agreement).

A dry run and a real import are the same code: every row is created inside its own savepoint,
through the model validation every other door uses, at the state and with the dates the file
gives; the dry run then rolls everything back, the real import commits only when every row is
valid (or, when asked, only the valid rows). Each imported agreement gets one audit row
"Imported from FILE row N by USER". A row whose reference or external reference is already in
the portal is skipped, so importing the same file twice creates nothing twice.

The columns are those of the portal's own exports (``agreements.exports.COLUMNS``).

The package, in the order an import runs:

- ``reading`` — the file's rows keyed by column, and the report of each row (``ImportResult``);
- ``values`` — cell values (dates, choices, amounts) and the reference data looked up once;
- ``planning`` — one row checked without writing, and the order rows are planned in;
- ``service`` — ``agreements_import``: plan, then write the valid rows in chunks;
- ``batches`` — the browser's preview and import with progress (``IMPORT_INLINE_ROWS`` lives here),
  and the sweep that hands the worker a batch whose message was lost;
- ``template`` — the XLSX template.

The names below stay importable from ``workflow.imports``.
"""

from .batches import (
    CHECK_TASK,
    IMPORT_INLINE_ROWS,
    IMPORT_TASK,
    import_batch_check,
    import_batch_preview,
    import_batch_run,
    import_batch_start,
    import_batches_requeue_stale,
)
from .reading import (
    ALL_COLUMNS,
    HEADER_KEYS,
    MAX_COLUMNS,
    REQUIRED_COLUMNS,
    ImportFileError,
    ImportResult,
    ImportRow,
    Problem,
    read_rows,
)
from .service import WRITE_CHUNK, agreements_import, import_denial
from .template import TEMPLATE_CHOICES, TEMPLATE_EXAMPLE, import_template_xlsx

__all__ = [
    "ALL_COLUMNS",
    "CHECK_TASK",
    "HEADER_KEYS",
    "IMPORT_INLINE_ROWS",
    "IMPORT_TASK",
    "MAX_COLUMNS",
    "REQUIRED_COLUMNS",
    "TEMPLATE_CHOICES",
    "TEMPLATE_EXAMPLE",
    "WRITE_CHUNK",
    "ImportFileError",
    "ImportResult",
    "ImportRow",
    "Problem",
    "agreements_import",
    "import_batch_check",
    "import_batch_preview",
    "import_batch_run",
    "import_batch_start",
    "import_batches_requeue_stale",
    "import_denial",
    "import_template_xlsx",
    "read_rows",
]
