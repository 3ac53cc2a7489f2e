"""What every plot returns: :class:`PlotFile`, the PNG file it wrote, which is a :class:`pathlib.Path` and also
shows itself in Jupyter.

A plot written to disk used to come back as a bare ``Path``: in a notebook nothing appeared, and the figure had to
be opened by hand. A ``PlotFile`` is the same path (``str()``, ``os.fspath()``, ``==``, ``read_bytes()`` and
every other ``Path`` use are unchanged), and IPython displays it inline through ``_repr_png_`` when it is the last
expression of a cell. It keeps the figure as drawn (:attr:`PlotFile.png`), so the picture of one model stays
its own even after a later plot replaced the file.

:func:`save_png` writes a plot atomically; :func:`warn_if_replacing`, called before, warns when a plot under a
default name (``confusion.png`` in the current folder) replaces one this process wrote there for another model:
the second model's matrix silently took the first one's place.

``pathlib.Path`` itself cannot be subclassed before Python 3.12 (``Path()`` picks ``PosixPath`` or
``WindowsPath``), so ``PlotFile`` derives from the concrete class of this platform, which works on every version.
"""

from __future__ import annotations

import sys
import weakref
from pathlib import Path, PosixPath, WindowsPath
from typing import Any

from trainwell.core.atomic import write_bytes_atomic
from trainwell.core.warn import warn

__all__ = ["PNG_SIGNATURE", "PlotFile", "save_png", "warn_if_replacing"]

#: The first 8 bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

if sys.platform == "win32":
    _ConcretePath = WindowsPath
else:
    _ConcretePath = PosixPath


class PlotFile(_ConcretePath):
    """A PNG file a plot wrote: a ``Path`` (``isinstance(plot, Path)``), shown inline by Jupyter and IPython.

    Build one with :func:`save_png` (which writes the file) or :meth:`written` (for a file just written). A path
    derived from it (``plot.parent``, ``plot.with_suffix(".svg")``) is a plain ``Path`` on Python 3.12 and
    later; on earlier versions it keeps the class but shows no picture unless it is itself a PNG file. ``copy``
    and ``pickle`` keep the path and the figure.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> plot = save_png(folder / "tiny.png", PNG_SIGNATURE + b"...")
        >>> isinstance(plot, Path), plot == folder / "tiny.png", plot.read_bytes() == plot.png
        (True, True, True)
        >>> plot._repr_png_()[:4]  # what Jupyter shows
        b'\x89PNG'
    """

    # Set by ``written``; a path derived from a PlotFile on Python < 3.12 has none and reads its file instead.
    _png: bytes | None = None

    @classmethod
    def written(cls, path: str | Path, png: bytes) -> PlotFile:
        """The ``PlotFile`` of ``png``, the bytes just written to ``path`` (this writes nothing)."""
        plot = cls(path)
        plot._png = bytes(png)
        return plot

    @property
    def png(self) -> bytes:
        """The figure as it was drawn (PNG bytes), even if the file has been replaced since;
        ``read_bytes()`` reads the file as it is now."""
        return self._png if self._png is not None else self.read_bytes()

    def _repr_png_(self) -> bytes | None:
        """What IPython shows: the figure, or ``None`` (the text repr only) for a path that holds no PNG."""
        if self._png is not None:
            return self._png
        try:
            data = self.read_bytes()
        except OSError:
            return None
        return data if data.startswith(PNG_SIGNATURE) else None

    def with_segments(self, *pathsegments: Any) -> Path:
        """Python 3.12+: paths derived from this one (``parent``, ``/``) are plain paths, not figures."""
        return Path(*pathsegments)

    def __reduce__(self) -> tuple[Any, ...]:
        # Path's own reduce rebuilds the path alone; this keeps the figure (copy, deepcopy and pickle use it).
        return (_restored, (str(self), self._png))


def _restored(path: str, png: bytes | None) -> PlotFile:
    plot = PlotFile(path)
    plot._png = png
    return plot


class _Writer:
    """Who a plot under a default name was last written for: a weak reference to each object that takes one (a
    model, a data bundle), so that the record never keeps a model alive, else its ``id``."""

    def __init__(self, owner: object) -> None:
        self.parts = [_Part(part) for part in (owner if isinstance(owner, tuple) else (owner,))]

    def is_(self, owner: object) -> bool:
        parts = owner if isinstance(owner, tuple) else (owner,)
        return len(parts) == len(self.parts) and all(
            known.is_(part) for known, part in zip(self.parts, parts, strict=True)
        )


class _Part:
    def __init__(self, owner: object) -> None:
        self.id = id(owner)
        try:
            self.ref: weakref.ReferenceType[Any] | None = weakref.ref(owner)
        except TypeError:  # a list, a tuple: its id, alive as long as its holder (a recorder's history)
            self.ref = None

    def is_(self, owner: object) -> bool:
        return self.ref() is owner if self.ref is not None else self.id == id(owner)


#: Default-named plots this process wrote: resolved path -> who for. Only to tell a user that a second model's
#: plot replaced a first one's; nothing else reads it.
_DEFAULT_PLOTS: dict[str, _Writer] = {}


def save_png(path: str | Path, png: bytes) -> PlotFile:
    """Write ``png`` to ``path`` atomically and return it as a :class:`PlotFile` (call
    :func:`warn_if_replacing` first for a plot under a default name)."""
    return PlotFile.written(write_bytes_atomic(path, png), png)


def warn_if_replacing(
    path: str | Path,
    *,
    owner: object,
    default_name: str,
    what: str = "plot",
    of: str = "model",
) -> None:
    """Before a plot is written to ``path``: warn (a ``UserWarning``) when ``path`` is the plot's default name in
    the current folder (``default_name``, e.g. ``confusion.png``) and this process already wrote that file for
    another ``owner`` (the model, data or result the plot is of), saying how to keep both: pass ``path=``.

    Another plot of the same owner (a cell run again, a second look at the same model) replaces it silently, as
    does any path chosen by the caller (a name of one's own, a model directory's files).

    Args:
        path: the PNG file about to be written.
        owner: what the plot is of: an object, or a tuple of objects (a model and the data it was run on).
        default_name: the file name the plotting function writes when given no path.
        what: the plot, as the warning names it ("confusion matrix").
        of: what ``owner`` is, as the warning names it ("model", "sweep").
    """
    path = Path(path)
    if path != Path(default_name):
        return
    key = str(path.resolve())
    earlier = _DEFAULT_PLOTS.get(key)
    if earlier is not None and not earlier.is_(owner) and path.exists():
        warn(
            f"'{path}' held the {what} of another {of}, written earlier by this process; it is replaced now. "
            f"Pass path= (e.g. path='{path.stem}_2{path.suffix}') to keep both.",
            UserWarning,
        )
    _DEFAULT_PLOTS[key] = _Writer(owner)
