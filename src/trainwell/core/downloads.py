"""Data given by its address: ``trainwell fit https://.../ml-100k.zip`` downloads it once into the cache.

:func:`fetch` saves an ``http://`` or ``https://`` address's file under ``$TRAINWELL_CACHE/downloads`` (by a
hash of the address, keeping the file's own name, so its ending still says what it is: an archive is then
unpacked as a local one is), and a later run reads the saved copy without asking the network again
(``trainwell cache --clear`` removes it). The file is written under a temporary name and renamed when whole, so
an interrupted download leaves nothing; a length the server announced and did not send is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from trainwell.core.errors import DataError
from trainwell.core.paths import cache_root

__all__ = ["Fetched", "fetch", "is_address"]

#: Seconds to wait for the server to answer (each read of the body too).
TIMEOUT = 60
_CHUNK = 1 << 20


def is_address(source: object) -> bool:
    """Whether ``source`` is an ``http://`` or ``https://`` address (a ``Path`` made of one, whose ``//`` became
    ``/``, too)."""
    return isinstance(source, str | os.PathLike) and re.match(r"https?:/", os.fspath(source)) is not None


def address_of(source: str | os.PathLike[str]) -> str:
    """The address ``source`` spells: ``Path("https://a/b")`` reads ``https:/a/b``, its ``//`` put back."""
    text = os.fspath(source)
    return re.sub(r"^(https?):/+", r"\1://", text)


@dataclass(frozen=True)
class Fetched:
    """A downloaded file: ``path`` on disk, ``fresh`` whether this call downloaded it, ``size`` its bytes."""

    path: Path
    fresh: bool
    size: int

    def describe(self, address: str) -> str:
        from trainwell.core.archives import readable_size

        if self.fresh:
            return f"downloaded {address} ({readable_size(self.size)}) into '{self.path}'"
        return f"{address} was downloaded before into '{self.path}'"


def fetch(source: str | os.PathLike[str], cache: Path | None = None) -> Fetched:
    """Download the file at ``source`` (an ``http(s)://`` address) into ``cache`` (default
    ``cache_root() / "downloads"``), or find it downloaded there before.

    Raises:
        DataError: the address is not one, or the download fails (the server's status, a network error, a
            body shorter than the length announced): in one line, with what to do.
    """
    address = address_of(source)
    parts = urllib.parse.urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DataError(f"'{address}' is not an http:// or https:// address of a file")
    name = Path(urllib.parse.unquote(parts.path)).name or "download"
    folder = (cache if cache is not None else cache_root() / "downloads") / hashlib.sha256(
        address.encode()
    ).hexdigest()[:16]
    target = folder / name
    if target.is_file():
        return Fetched(target, False, target.stat().st_size)
    from trainwell.core.archives import make_cache_folder

    make_cache_folder(folder)  # TRAINWELL_CACHE naming a file: one line, not a traceback
    temp = folder / f".{name}.{os.getpid()}.partial"
    try:
        size = _download(address, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
        if not target.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a failed download leaves no folder behind
    return Fetched(target, True, size)


def _download(address: str, into: Path) -> int:
    request = urllib.request.Request(address, headers={"User-Agent": "trainwell"})
    fix = "check the address and the network, or download the file yourself and pass its path"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response, into.open("wb") as stream:
            announced = response.headers.get("Content-Length")
            shutil.copyfileobj(response, stream, _CHUNK)
            size = stream.tell()
    except urllib.error.HTTPError as error:
        raise DataError(
            f"could not download {address}: the server answered {error.code} {error.reason}; {fix}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise DataError(f"could not download {address}: {reason}; {fix}") from None
    if announced is not None and announced.isdigit() and int(announced) != size:
        raise DataError(
            f"could not download {address}: the server announced {int(announced):,} bytes and sent {size:,}; {fix}"
        )
    return size
