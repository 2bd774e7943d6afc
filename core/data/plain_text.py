"""Any string a user's files can hold, made safe to write into a text format that other programs parse.

Folder and class names come from a file system, which allows any byte but `/` and NUL: a newline in a folder's name
turned a loss CSV's `# …` comment into a comment plus a fake data row, and a name that is not valid UTF-8 (Python
holds its bytes as lone surrogates, os.fsdecode's surrogateescape) ended every export in UnicodeEncodeError.
So every user string written into a text format passes through here first:

- `one_line`: control characters and line breaks become visible escapes (`\\n`, `\\t`, `\\x1b`, `\\u2028`), so
  the string stays on its line and in its cell (a CSV comment or cell, a TSV cell), and bytes that are not UTF-8
  become `\\xNN`, so it encodes.

It keeps everything else as it is (accents, CJK, backslashes), so the text reads as the user named things; what
was replaced is visible where it was replaced. `was_escaped` tells a caller that a note is due.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # any other lone surrogate: no encoder writes it
        return f"\\u{code:04x}"
    if char in _NAMED:
        return _NAMED[char]
    if unicodedata.category(char) in ("Cc", "Zl", "Zp"):  # controls, U+2028/U+2029: all break or hide a line
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def one_line(text: str) -> str:
    """`text` on one line that encodes as UTF-8: line breaks, tabs, other controls and non-UTF-8 bytes escaped."""
    return "".join(_escape(char) if _special(char) else char for char in text)


def was_escaped(text: str) -> bool:
    """Whether one_line changes `text` (a caller notes which names were written with escapes)."""
    return any(_special(char) and _escape(char) != char for char in text)


def _special(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF
