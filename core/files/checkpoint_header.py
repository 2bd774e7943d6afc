"""The metadata of a convae-explorer checkpoint, read from its safetensors header alone (a few KB, no tensors)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

META_KEY = "convae_explorer"  # the safetensors metadata entry our JSON lives under (core.files.checkpoint writes it)
#: Our JSON header is a few KB (some 80 tensor entries and the metadata): the loader reads and parses at most this
#: before anything else, and anything larger is not ours.
HEADER_LIMIT = 1 << 20


def read_app_metadata(path: Path) -> dict | None:
    """The app's metadata dict from `path`'s header, or None when the file is not a checkpoint of this app."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) != 8:
                return None
            (length,) = struct.unpack("<Q", head)
            if not 2 <= length <= HEADER_LIMIT:
                return None
            header = json.loads(handle.read(length))
            metadata = header.get("__metadata__") if isinstance(header, dict) else None
            meta = json.loads(metadata[META_KEY]) if isinstance(metadata, dict) and META_KEY in metadata else None
    except (OSError, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    return meta if isinstance(meta, dict) else None
