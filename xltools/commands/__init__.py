"""CLI commands, one module each; importing this package registers them on ``xltools.cli.cli``."""

from . import demo, generate, merge, report  # noqa: F401
