"""Logging of the ``cockpit.*`` loggers: one stderr handler with a timestamp at level INFO, set up once per process.

The app (every Streamlit rerun) and the CLI call ``configure_logging``; a second call finds its handler and adds no
other, so nothing is printed twice. Records still propagate to the root logger: a deployment that configures
logging itself (or pytest's log capture) sees them too. No code logs a password or a password hash.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["LOG_FORMAT", "configure_logging"]

LOGGER_NAME = "cockpit"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Found by name, not by class: a module reloaded by Streamlit's file watcher would bring a class of its own.
HANDLER_NAME = "cockpit-stderr"


class _StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` at each record (not the one at set-up), like logging's last resort."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: int = logging.INFO) -> logging.Handler:
    """Give the ``cockpit`` logger its stderr handler (idempotent) and ``level``; returns the handler."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    for handler in logger.handlers:
        if handler.get_name() == HANDLER_NAME:
            return handler
    handler = _StderrHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    return handler
