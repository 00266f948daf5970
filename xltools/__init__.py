"""xltools — issue standard Excel registration forms (登记表) to a roster of units, merge the
returns exactly into one consolidated workbook (汇总表) with a returns ledger and a cell-addressed
issue list, and draft Word documents from the figures.

Every CLI command is a thin twin of a public function exported here.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .ballot import ballot, tally, write_tally  # noqa: E402
from .consolidated import read_consolidated, write_consolidated, write_figures_json  # noqa: E402
from .errors import (  # noqa: E402
    DataError,
    FormDefinitionError,
    OutputError,
    ReturnReadError,
    RosterError,
    TemplateError,
    XltoolsError,
)
from .feedback import feedback  # noqa: E402
from .forms import FormDefinition, load_form_definition  # noqa: E402
from .generate import generate, generate_workbook  # noqa: E402
from .merge import CheckResult, Consolidation, check, merge  # noqa: E402
from .readers import CellError, Limits, ReturnWorkbook, SheetData, find_returns, read_return  # noqa: E402
from .report import list_template_vars, report, report_context  # noqa: E402
from .roster import Roster, Unit, load_roster  # noqa: E402

__all__ = [
    "CellError",
    "Limits",
    "ReturnWorkbook",
    "SheetData",
    "find_returns",
    "read_return",
    "CheckResult",
    "Consolidation",
    "DataError",
    "FormDefinition",
    "FormDefinitionError",
    "OutputError",
    "ReturnReadError",
    "Roster",
    "RosterError",
    "TemplateError",
    "Unit",
    "XltoolsError",
    "__version__",
    "ballot",
    "feedback",
    "tally",
    "write_tally",
    "check",
    "generate",
    "generate_workbook",
    "list_template_vars",
    "load_form_definition",
    "load_roster",
    "merge",
    "read_consolidated",
    "report",
    "report_context",
    "write_consolidated",
    "write_figures_json",
]
