"""Archives given as data: ``trainwell fit ml-100k.tgz`` reads what is inside, unpacked once into the cache.

Data sets ship as archives (MovieLens' ``ml-100k.tgz``, a Kaggle download's ``titanic.zip``, a folder of photos
zipped to send). :func:`unpack` extracts one into ``$TRAINWELL_CACHE/unpacked`` (``~/.cache/trainwell`` by
default), in a folder named after the archive and a hash of its path, size and modification time: the second
run reads the same folder without unpacking again, and a changed archive gets a new one (the copy of its earlier
version removed, so the cache keeps one copy per archive). What is read is the
one file or folder the archive holds, when it holds one (``ml-100k/``), else the folder it was unpacked into.

Extraction is safe and whole or nothing:

- tar members go through Python's ``data`` filter (no absolute paths, no ``..``, no links leading out, no device
  files); zip names are cleaned by :mod:`zipfile` itself;
- macOS' ``__MACOSX/`` and ``._*`` companions are left out (they would read as a class of images);
- the archive is unpacked into a hidden temporary folder and renamed when complete, so an interrupted or
  failed run leaves nothing half-written, and two processes unpacking at once (``torchrun``) keep one copy;
- the room it needs is checked before the first byte is written;
- a cache folder that cannot be made (``TRAINWELL_CACHE`` naming a file, or a place nothing may be written) is
  said in one line naming ``TRAINWELL_CACHE`` and what to do (:func:`make_cache_folder`), not as a traceback.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from trainwell.core.errors import ConfigError, DataError
from trainwell.core.paths import cache_root, file_state

__all__ = [
    "ARCHIVE_ENDINGS",
    "Unpacked",
    "archive_kind",
    "cache_problem",
    "make_cache_folder",
    "member_names",
    "readable_size",
    "refuse_other_archive",
    "unpack",
    "unpacked",
    "unusable_cache",
]

S = TypeVar("S")

#: Name endings of the archives read, with the kind each is.
ARCHIVE_ENDINGS = {
    ".tar": "tar",
    ".tgz": "tar",
    ".tar.gz": "tar",
    ".tbz2": "tar",
    ".tar.bz2": "tar",
    ".txz": "tar",
    ".tar.xz": "tar",
    ".zip": "zip",
}
#: Left out when unpacking: macOS' resource forks and folder settings, never data.
_JUNK = re.compile(r"(^|/)(__MACOSX(/|$)|\._[^/]*$|\.DS_Store$)")
#: Room kept free on the cache's disk beyond what the archive needs.
_SPARE_BYTES = 64 * 2**20


def archive_ending(path: Path) -> str | None:
    """The archive ending ``path``'s name has (``".tar.gz"``), the longest that matches; ``None`` for others."""
    name = path.name.lower()
    return next((end for end in sorted(ARCHIVE_ENDINGS, key=len, reverse=True) if name.endswith(end)), None)


#: Archives Python cannot unpack, with the command that does.
_OTHER_ARCHIVES = {".7z": ("a 7-Zip", "7z x"), ".rar": ("a RAR", "unrar x")}


def refuse_other_archive(path: Path) -> None:
    """Refuse in one line a 7-Zip or RAR archive (by its name), which trainwell does not unpack: the command
    that does. Their bytes read as a table made a nonsense error ("holds NUL bytes ... utf-16")."""
    ending = Path(path).suffix.lower()
    if ending in _OTHER_ARCHIVES and Path(path).is_file():
        kind, command = _OTHER_ARCHIVES[ending]
        raise DataError(
            f"'{path}' is {kind} archive, which trainwell does not unpack: unpack it ({command} {Path(path).name}) "
            "and pass the file or folder inside, or pack it again as .zip or .tar.gz"
        )


def archive_kind(path: Path) -> str | None:
    """``"zip"`` or ``"tar"`` for a file named as an archive whose bytes are one, else ``None`` (a folder, a
    missing file, a ``.zip`` that is not a zip: the reader that follows says what is wrong)."""
    ending = archive_ending(path)
    if ending is None or not path.is_file():
        return None
    try:
        is_archive = zipfile.is_zipfile(path) if ending == ".zip" else tarfile.is_tarfile(path)
    except (OSError, EOFError, zlib.error):
        return None
    return ARCHIVE_ENDINGS[ending] if is_archive else None


@dataclass(frozen=True)
class Unpacked:
    """Where an archive's contents are: ``path`` is what to read (the one file or folder inside, or ``folder``),
    ``folder`` the folder it was unpacked into, ``fresh`` whether this call unpacked it (``False``: reused),
    ``files`` and ``size`` (bytes) what it held when unpacked (0 when reused: not counted again), ``replaced``
    how many copies of the archive's earlier versions (the same path, changed since) were removed."""

    path: Path
    folder: Path
    fresh: bool
    files: int
    size: int
    replaced: int = 0

    def describe(self, archive: Path) -> str:
        """One line saying what was done: ``unpacked 'ml-100k.tgz' (23 files, 16.0 MB) into '...'; reading ...``."""
        inside = f"; reading '{self.path.name}' inside" if self.path != self.folder else ""
        if self.fresh:
            older = "; the copy of its earlier version removed" if self.replaced else ""
            return (
                f"unpacked '{archive}' ({self.files:,} file{'s' if self.files != 1 else ''}, {readable_size(self.size)}) "
                f"into '{self.folder}'{inside}{older}"
            )
        return f"'{archive}' was unpacked before into '{self.folder}'{inside}"


def unpacked(source: S, say: Callable[[str], None] | None = None) -> S | Path:
    """What to read for ``source``: for an ``http(s)://`` address, the file downloaded from it
    (:func:`trainwell.core.downloads.fetch`); for an archive's path (or address), the file or folder it holds
    (see :func:`unpack`); anything else (a DataFrame, a folder, another file) as it is. ``say`` gets a line for
    each download and unpack (the command line prints them); 7-Zip and RAR archives are refused."""
    from trainwell.core.downloads import address_of, fetch, is_address

    local: S | Path = source
    if is_address(source):
        fetched = fetch(source)  # type: ignore[arg-type]
        if say is not None:
            say(fetched.describe(address_of(source)))  # type: ignore[arg-type]
        local = fetched.path
    if not isinstance(local, str | os.PathLike):
        return local
    inside = lone_data_file(Path(local))
    if inside is not None:  # MovieLens' folder of ml-100k.tgz (and its SOURCE.md): the archive is the data
        if say is not None:
            what = "one archive" if archive_kind(inside) is not None else "one table"
            say(f"'{local}' holds {what} and no other data: reading {inside.name}")
        local = inside
    refuse_other_archive(Path(local))
    if archive_kind(Path(local)) is None:
        return local
    result = unpack(Path(local))
    if say is not None:
        say(result.describe(Path(local)))
    return result.path


#: Files beside data that describe it (a dataset's README, SOURCE.md, LICENSE), not data themselves.
_DESCRIPTIONS = re.compile(
    r"^(readme|license|licence|citation|source|notice|copying)\b|\.(md|rst|html?)$", re.I
)


def lone_data_file(folder: Path) -> Path | None:
    """The one archive or table a folder holds beside nothing but descriptions of it (README, SOURCE.md...) and
    no folders, as a dataset is often shipped (MovieLens' ``ml-100k.tgz``, a Kaggle download's one CSV); else
    ``None``."""
    from trainwell.core.paths import TABLE_SUFFIXES

    if not folder.is_dir():
        return None
    found: list[Path] = []
    for child in folder.iterdir():
        if child.name.startswith("."):
            continue
        if child.is_dir():
            return None
        if archive_kind(child) is not None or child.name.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES):
            found.append(child)
        elif not _DESCRIPTIONS.search(child.name):
            return None
    return found[0] if len(found) == 1 else None


def unpack(archive: str | Path, cache: Path | None = None) -> Unpacked:
    """Unpack ``archive`` (``.zip``, ``.tar``, ``.tgz``/``.tar.gz``, ``.tbz2``/``.tar.bz2``, ``.txz``/``.tar.xz``)
    into ``cache`` (default ``cache_root() / "unpacked"``), or find it unpacked there before.

    Raises:
        DataError: ``archive`` is not an archive, is damaged, holds no files, holds a member that would land
            outside its folder (a link or a path leading out), or the cache's disk lacks the room.
    """
    archive = Path(archive)
    kind = archive_kind(archive)
    if kind is None:
        raise DataError(
            f"'{archive}' is not a zip or tar archive; pass the archive, or the folder it unpacks to"
        )
    root = cache if cache is not None else cache_root() / "unpacked"
    folder = root / _folder_name(archive)
    if folder.is_dir():
        return Unpacked(_what_to_read(folder), folder, False, 0, 0)
    try:
        members, files, size = _members(archive, kind)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as error:
        raise _damaged(archive, kind, error) from None
    if not members:
        raise DataError(f"archive '{archive}' holds no files; check that it is the data set's archive")
    make_cache_folder(root)
    _check_room(archive, root, size)
    temp = root / f".{folder.name}.{os.getpid()}.partial"
    shutil.rmtree(temp, ignore_errors=True)
    try:
        _extract(archive, kind, members, temp)
        try:
            temp.rename(folder)
        except OSError:
            if not folder.is_dir():  # not another process's copy, renamed first: a real failure
                raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise _damaged(archive, kind, error) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    replaced = _replace_older_copies(archive, root, folder)
    return Unpacked(_what_to_read(folder), folder, True, files, size, replaced)


def make_cache_folder(folder: Path) -> Path:
    """Make ``folder`` (a part of the cache, with its parents) and return it.

    Raises:
        ConfigError: It cannot be made (``TRAINWELL_CACHE`` names a file, a folder that is not writable, or a
            place no folder can be made): :func:`unusable_cache`'s line. ``TRAINWELL_CACHE=titanic.csv`` had
            ended ``fit data.tgz`` in a ``NotADirectoryError`` traceback.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unusable_cache(_mkdir_reason(folder, error)) from None
    return folder


def cache_problem(root: Path | None = None) -> str | None:
    """Why the cache folder ``root`` (default :func:`~trainwell.core.paths.cache_root`) cannot hold the cache,
    in words (``"'x.csv' is a file, not a folder"``), or ``None`` when it can: the nearest existing path on the
    way to it must be a folder in which a folder can be made (tried, and removed). Nothing is left behind."""
    root = cache_root() if root is None else root
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        return f"'{existing}' is a file, not a folder"
    try:
        probe = tempfile.mkdtemp(prefix=".trainwell-probe-", dir=existing)
    except OSError as error:
        return f"no folder can be made in '{existing}' ({(error.strerror or type(error).__name__).lower()})"
    os.rmdir(probe)
    return None


def unusable_cache(reason: str) -> ConfigError:
    """The one-line error of a cache folder that cannot be used, ``reason`` saying why: it names
    ``TRAINWELL_CACHE`` and its fix (or, when it is not set, how to set it)."""
    named = os.environ.get("TRAINWELL_CACHE")
    if named and reason.startswith(f"'{named}' "):  # TRAINWELL_CACHE 'x.csv' is a file, not a folder
        return ConfigError(
            f"TRAINWELL_CACHE {reason}; point TRAINWELL_CACHE at a folder you may write, or unset it (then "
            "~/.cache/trainwell is used)"
        )
    if named:
        return ConfigError(
            f"TRAINWELL_CACHE '{named}' cannot hold trainwell's cache: {reason}; point TRAINWELL_CACHE at a folder "
            "you may write, or unset it (then ~/.cache/trainwell is used)"
        )
    return ConfigError(
        f"trainwell's cache folder '{cache_root()}' cannot be used: {reason}; set TRAINWELL_CACHE to a folder you "
        "may write"
    )


def _mkdir_reason(folder: Path, error: OSError) -> str:
    """Why ``folder`` could not be made: the file on its way, else the system's reason."""
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            return f"'{parent}' is a file, not a folder"
        if parent.exists():
            break
    where = error.filename or folder
    return f"'{where}' cannot be made ({(error.strerror or type(error).__name__).lower()})"


def _replace_older_copies(archive: Path, root: Path, folder: Path) -> int:
    """Record which archive ``folder`` holds (``<folder>.source`` beside it) and remove the copies unpacked from
    the same path before it changed; returns how many were removed."""
    source = str(archive.resolve())
    removed = 0
    for marker in root.glob("*.source"):
        stale = root / marker.stem
        if stale == folder:
            continue
        try:
            same = marker.read_text(encoding="utf-8") == source
        except OSError:
            continue
        if same:
            shutil.rmtree(stale, ignore_errors=True)
            marker.unlink(missing_ok=True)
            removed += 1
    (root / f"{folder.name}.source").write_text(source, encoding="utf-8")
    return removed


def _folder_name(archive: Path) -> str:
    """``ml-100k-<12 hex>``: the archive's name less its ending, and a hash of its path, size and time."""
    key = file_state(archive)
    stem = archive.name[: -len(archive_ending(archive) or "")] or "archive"
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "archive"
    return f"{stem[:60]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _members(archive: Path, kind: str) -> tuple[list[str], int, int]:
    """The names of the members to unpack (files and folders, macOS' companions left out; none when it holds no
    file), the number of files and their bytes; reading a tar's index reads the whole (compressed) archive, so a damaged one fails here."""
    if kind == "zip":
        with zipfile.ZipFile(archive) as opened:
            infos = [info for info in opened.infolist() if not _JUNK.search(info.filename)]
            files = [info for info in infos if not info.is_dir()]
            names = [info.filename for info in infos] if files else []
            return names, len(files), sum(info.file_size for info in files)
    with tarfile.open(archive) as opened:
        entries = [member for member in opened.getmembers() if not _JUNK.search(member.name)]
        regular = [member for member in entries if member.isfile()]
        names = [member.name for member in entries] if regular else []
        return names, len(regular), sum(member.size for member in regular)


def _extract(archive: Path, kind: str, members: list[str], temp: Path) -> None:
    temp.mkdir()
    if kind == "zip":
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(temp, members=members)  # zipfile drops absolute roots and '..' from names
        return
    with tarfile.open(archive) as opened:
        wanted = set(members)
        try:
            opened.extractall(
                temp, members=[m for m in opened.getmembers() if m.name in wanted], filter="data"
            )
        except tarfile.FilterError as error:
            raise DataError(
                f"archive '{archive}' holds a member that would land outside its folder or is not a plain file "
                f"({error}); refused: unpack it yourself if you trust it, and pass the folder"
            ) from None


def _check_room(archive: Path, root: Path, size: int) -> None:
    free = shutil.disk_usage(root).free
    if size + _SPARE_BYTES > free:
        raise DataError(
            f"unpacking '{archive}' needs {readable_size(size)} and '{root}' has {readable_size(free)} free: set TRAINWELL_CACHE to "
            "a folder on a disk with room, or unpack it yourself and pass the folder"
        )


def _damaged(archive: Path, kind: str, error: BaseException) -> DataError:
    reason = str(error) or type(error).__name__
    return DataError(f"archive '{archive}' is a damaged {kind} file ({reason}); download or copy it again")


def _what_to_read(folder: Path) -> Path:
    """The one visible file or folder ``folder`` holds (an archive of ``ml-100k/``, or of one table), else
    ``folder`` itself (Kaggle's ``train.csv`` beside ``test.csv``)."""
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    return entries[0] if len(entries) == 1 else folder


def readable_size(count: float) -> str:
    """A byte count as people read it: ``13 bytes``, ``12.1 MB`` (powers of 1,000)."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"  # pragma: no cover  (the loop returns at GB)


def member_names(folder: Path, limit: int = 6) -> str:
    """Up to ``limit`` of the visible names in ``folder``, for a message (``train.csv, test.csv``)."""
    names = sorted(entry.name for entry in folder.iterdir() if not entry.name.startswith("."))
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
