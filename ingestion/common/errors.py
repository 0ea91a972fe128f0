"""Errors that describe a user's mistake in one line (file, row, field), never a traceback."""
from __future__ import annotations


class FunnelhouseError(Exception):
    """A problem the user can fix; the CLI prints its message as one line and exits non-zero."""


class InputFileError(FunnelhouseError):
    """A whole input file cannot be read (empty, wrong encoding, a required column missing)."""

    def __init__(self, input_name: str, message: str, field: str = "file") -> None:
        self.input_name = input_name
        self.field = field
        self.reason = message
        super().__init__(f"{input_name}: {message}")


class ReconciliationError(FunnelhouseError):
    """Rows read differ from rows loaded plus rows quarantined."""
