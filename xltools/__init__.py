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

# The public API, imported on first use (PEP 562) so that ``xltools merge`` does not pay for
# docxtpl and openpyxl at start-up.  ``from xltools import merge`` works as usual.
_LAZY = {
    "ballot": "ballot", "tally": "ballot", "write_tally": "ballot",
    "read_consolidated": "consolidated", "write_consolidated": "consolidated", "write_figures_json": "consolidated",
    "feedback": "feedback",
    "FormDefinition": "forms", "load_form_definition": "forms",
    "generate": "generate", "generate_workbook": "generate",
    "CheckResult": "merge", "Consolidation": "merge", "check": "merge", "merge": "merge",
    "CellError": "readers", "Limits": "readers", "ReturnWorkbook": "readers", "SheetData": "readers",
    "find_returns": "readers", "read_return": "readers",
    "list_template_vars": "report", "report": "report", "report_context": "report",
    "Roster": "roster", "Unit": "roster", "load_roster": "roster",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xltools' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
