"""The one error type every data reader raises, so a user always learns file, line and reason."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DataError"]


class DataError(ValueError):
    """A row or file that cannot be read. Carries where (``path``, ``line``, ``field``) and why."""

    def __init__(self, path: str | Path, line: int | None, reason: str, field: str | None = None):
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = self.path if line is None else f"{self.path}:{line}"
        if field:
            where += f": field {field!r}"
        super().__init__(f"{where}: {reason}")
