"""CLI commands, one module each; importing this package registers them on ``xltools.cli.cli``."""

from . import ballot, demo, feedback, generate, merge, report  # noqa: F401
