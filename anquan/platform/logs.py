"""Logging to the console."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO


class ConsoleHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted, not when logging was set up
    (test runners and process supervisors swap the stream; a stale one would be closed)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass
