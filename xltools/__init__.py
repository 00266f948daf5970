"""xltools — issue standard Excel registration forms (登记表) to a roster of units, merge the
returns exactly into one consolidated workbook (汇总表) with a returns ledger and a cell-addressed
issue list, and draft Word documents from the figures.

Every CLI command is a thin twin of a public function exported here.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    DataError,
    FormDefinitionError,
    OutputError,
    ReturnReadError,
    RosterError,
    TemplateError,
    XltoolsError,
)
from .forms import FormDefinition, load_form_definition  # noqa: E402
from .roster import Roster, Unit, load_roster  # noqa: E402

__all__ = [
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
    "load_form_definition",
    "load_roster",
]
