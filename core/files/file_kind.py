"""What a file that is not a checkpoint is, told from its first bytes, so that opening one says so in words.

Opening a PNG as a model used to give "its header claims 9,894,704,951,773,106,057 bytes": true, and no help. A
safetensors file opens with its header's length as a little-endian u64 of at most a few MB, so its bytes 3 to 7 are
zero: none of the signatures below can be mistaken for one.
"""

from __future__ import annotations

#: Leading bytes → what a sentence calls such a file.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"PK\x03\x04", "a ZIP archive (a PyTorch .pt/.pth file is one)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
)

#: The pickle opcode PROTO and the protocols torch.save and pickle.dump write (2 to 5).
_PICKLE_STARTS = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))


def foreign_kind(head: bytes) -> str | None:
    """What the file starting with `head` (its first 8 or more bytes) is, if it is plainly not a safetensors file:
    'a PNG image', 'a Python pickle', 'a text file', …; None when it may be one (or is nothing we know)."""
    if head[8:9] == b"{" and head[4:8] == bytes(4):  # a plausible header length, then the header's JSON: safetensors
        return None
    for signature, kind in SIGNATURES:
        if head.startswith(signature) and not (signature == b"BM" and head[3:8] == bytes(5)):
            return kind
    if head.startswith(_PICKLE_STARTS):
        return "a Python pickle (as PyTorch's .pt/.pth files are)"
    if len(head) >= 8 and _is_text(head):
        return "a text file"
    return None


def _is_text(head: bytes) -> bool:
    """Printable UTF-8 with ordinary white space only (a safetensors length has NUL bytes: it never is)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:  # the read may have cut a multi-byte character at its end
            text = head[:-3].decode("utf-8") if len(head) > 8 else ""
        except UnicodeDecodeError:
            return False
    return bool(text) and all(ch.isprintable() or ch in "\t\n\r" for ch in text)
