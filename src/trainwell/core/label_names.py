"""Names for classes the data writes as codes (GoEmotions' ids 0 to 27): ``--label-names`` and ``label_names=``
given as a file or as text, read into what :func:`~trainwell.data.task.name_labels` takes.

Nothing here imports more than the errors: the command line checks the option at once, before any data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainwell.core.errors import ConfigError
from trainwell.core.text_encoding import file_lines

#: How the option is described in every command that takes it.
HELP = (
    "Classes written as codes (0, 1, 2 ...): the names shown and predicted instead: a file of one name per line "
    "(the first names label 0, as GoEmotions' emotions.txt), the names comma-separated in the same order, or "
    "LABEL=NAME pairs (0=negative,1=positive). Held-out files may write the labels either way."
)

#: What ``label_names=`` takes: the names of the labels 0, 1, 2 ... in order, ``{label: name}``, or a file / text
#: read by :func:`read_label_names`.
LabelNames = Sequence[str] | Mapping[Any, str] | str | Path


def label_names_given(names: LabelNames | None) -> list[str] | dict[str, str] | None:
    """``names`` as a list or a mapping: a path or a text (``"neg,pos"``, ``"0=neg,1=pos"``) read as the command
    line reads ``--label-names``; a list or mapping as it is."""
    if names is None:
        return None
    if isinstance(names, str | Path):
        return read_label_names(str(names))
    if isinstance(names, Mapping):
        return {str(label): str(name) for label, name in names.items()}
    return [str(name) for name in names]


def read_label_names(spec: str) -> list[str] | dict[str, str]:
    """The names a file or a text gives: a list (the names of the labels 0, 1, 2 ... in order) or a
    ``{label: name}`` mapping (``LABEL=NAME``, or a tab between them, in every entry)."""

    def refused(words: str) -> ConfigError:
        return ConfigError.worded(lambda say: f"{say('label_names')} {words}")

    path = Path(spec)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise refused(
                f"{spec}: cannot read it as UTF-8 text ({error}); give a file of one name per line"
            ) from None
        lines = file_lines(text)
        while lines and not lines[-1].strip():
            lines.pop()  # a file's last line may end in blank ones
        blank = [number for number, line in enumerate(lines, start=1) if not line.strip()]
        if blank:
            raise refused(
                f"{spec}: line {blank[0]} is blank, and each line names the label of its place (the first, 0): "
                "fill it or remove it"
            )
        entries = [line.strip() for line in lines]
        where = spec
    elif path.suffix.lower() in (".txt", ".csv", ".tsv", ".names") or "/" in spec:
        raise refused(f"{spec}: no such file; give a file of one name per line, or the names")
    else:
        entries = [part.strip() for part in spec.split(",")]
        where = repr(spec)
        if any(not entry for entry in entries):
            raise refused(f"{where} holds an empty name; separate the names with single commas")
    if not entries:
        raise refused(f"{where} holds no names; give one name per line")
    pairs = [_pair(entry, where) for entry in entries]
    if all(pair is None for pair in pairs):
        return entries
    if any(pair is None for pair in pairs):
        plain = next(entry for entry, pair in zip(entries, pairs, strict=True) if pair is None)
        raise refused(
            f"{where} mixes LABEL=NAME pairs with a bare name ({plain!r}); give every label's name one way"
        )
    named: dict[str, str] = {}
    for label, name in (pair for pair in pairs if pair is not None):
        if label in named:
            raise refused(f"{where} names label {label!r} twice ({named[label]!r} and {name!r})")
        named[label] = name
    return named


def _pair(entry: str, where: str) -> tuple[str, str] | None:
    """``("0", "admiration")`` for ``0=admiration`` (or a tab between them), ``None`` for a bare name."""
    for separator in ("\t", "="):
        label, found, name = entry.partition(separator)
        if not found:
            continue
        if not label.strip() or not name.strip():
            raise ConfigError.worded(
                lambda say: (
                    f"{say('label_names')} {where}: {entry!r} is a LABEL=NAME pair with one side empty; write both "
                    "(0=negative)"
                )
            )
        return label.strip(), name.strip()
    return None
