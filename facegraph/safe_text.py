"""Text from photos and users (file names, person names) made safe for where it is shown.

File names and names come from outside: a name may hold a terminal escape sequence, a CSV cell
may start with ``=`` and run as a formula when a spreadsheet opens the file.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: a spreadsheet reads a cell starting with one of these as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """`text` with control and format characters (escapes, newlines) and the undecodable bytes
    of a file name shown as ``\\xNN``."""
    return "".join(_printable_char(c) for c in text)


def _printable_char(c: str) -> str:
    if 0xDC80 <= ord(c) <= 0xDCFF:  # a byte of a non-UTF-8 file name (surrogateescape)
        return f"\\x{ord(c) - 0xDC00:02x}"
    if unicodedata.category(c) in ("Cc", "Cf", "Cs"):
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
    return c


def spreadsheet_cell(value: Any) -> Any:
    """A CSV value a spreadsheet shows as text: a leading ``'`` before formula-like text.

    Numbers stay numbers (a negative weight is not a formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
