"""Download a data set's official archives with progress, then let torchvision unpack and check them.

Runs in a background thread (the window's "Data sets…" view, never the GUI thread). Each archive is streamed to a
hidden temporary file beside its final name, its MD5 checksum compared with the official one, and only then moved
into place: an interrupted or failed download leaves nothing that looks like a data set. Errors come out as
DownloadError, whose message says what failed, where, and what to do without a network.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from core.data.status import Archive, archives_of

#: progress(bytes of this file done, its size or 0 while unknown, "file 2 of 4: NAME"): one file at a time, so a bar
#: never runs backwards when the next file's size becomes known
Progress = Callable[[int, int, str], None]
CHUNK = 1 << 16


class DownloadError(Exception):
    """A data set could not be downloaded; the message says why and what to do instead."""


class DownloadStopped(DownloadError):
    """The user stopped the download."""


def download_data_set(
    name: str,
    root: Path,
    progress: Progress | None = None,
    stopped: Callable[[], bool] | None = None,
    timeout_s: float = 20.0,
) -> None:
    """Fetch every archive of `name` missing under `root`, then load the set once (torchvision unpacks it there)."""
    from core.data.datasets import DatasetError, load_dataset

    archives = archives_of(name, Path(root))
    if not archives:
        raise DownloadError(f"{name} is not downloaded: it ships with the app or is read from your own files")
    todo = [a for a in archives if not _is_official(a)]
    for number, archive in enumerate(todo, 1):
        _fetch(archive, f"file {number} of {len(todo)}: {archive.name}", progress, stopped, timeout_s)
    try:
        load_dataset(name, root, download=True)  # no network now: unpacks the archives and checks the files
    except DatasetError as error:
        raise DownloadError(f"the downloaded {name} files could not be read: {error}") from error


def _is_official(archive: Archive) -> bool:
    from torchvision.datasets.utils import check_integrity

    return archive.path.is_file() and bool(check_integrity(str(archive.path), archive.md5))


def _fetch(
    archive: Archive,
    what: str,
    progress: Progress | None,
    stopped: Callable[[], bool] | None,
    timeout_s: float,
) -> None:
    """Stream `archive` from the first address that answers, check it and move it into place."""
    try:
        archive.folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot write to the data folder {archive.folder}: {error.strerror or error}") from error
    failures = []
    for url in archive.urls:
        done = 0
        temporary = archive.folder / f".{archive.name}.{secrets.token_hex(4)}.part"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response, open(temporary, "wb") as handle:
                size = int(response.headers.get("Content-Length") or 0)
                digest = hashlib.md5(usedforsecurity=False)
                while chunk := response.read(CHUNK):
                    if stopped is not None and stopped():
                        raise DownloadStopped(f"the download of {archive.name} was stopped")
                    handle.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, size, what)
            if digest.hexdigest() != archive.md5:
                raise DownloadError(
                    f"{archive.name} from {urlparse(url).hostname} is not the official file (its checksum differs)"
                )
            os.replace(temporary, archive.path)
            return
        except DownloadStopped:
            raise
        except (urllib.error.URLError, OSError, DownloadError) as error:
            reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
            failures.append(f"{urlparse(url).hostname}: {reason}")
        finally:
            temporary.unlink(missing_ok=True)
    raise DownloadError(
        f"could not download {archive.name} ({'; '.join(failures)}). Without a network, copy {archive.name} "
        f"(or the unpacked files) into {archive.folder}, or choose another data folder."
    )
