"""``--label-names``: names for classes the data writes as codes (GoEmotions' ids 0 to 27), read before any data.

Nothing here imports more than the errors: the option is checked at once, the file read in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

#: How the option is described in every command that takes it.
HELP = (
    "Classes written as codes (0, 1, 2 ...): the names shown and predicted instead: a file of one name per line "
    "(the first names label 0, as GoEmotions' emotions.txt), the names comma-separated in the same order, or "
    "LABEL=NAME pairs (0=negative,1=positive). Held-out files may write the labels either way."
)


def read_label_names(spec: str | None) -> list[str] | dict[str, str] | None:
    """The names ``--label-names`` gives: a list (the names of the labels 0, 1, 2 ... in order) or a
    ``{label: name}`` mapping, from a file of lines or a comma-separated value; ``None`` when not given."""
    from trainwell.core.errors import ConfigError

    if spec is None:
        return None
    path = Path(spec)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"--label-names {spec}: cannot read it as UTF-8 text ({error}); give a file of one name per line"
            ) from None
        entries = [line.strip() for line in text.splitlines() if line.strip()]
        where = f"--label-names {spec}"
    elif path.suffix.lower() in (".txt", ".csv", ".tsv", ".names") or "/" in spec:
        raise ConfigError(
            f"--label-names {spec}: no such file; give a file of one name per line, or the names"
        )
    else:
        entries = [part.strip() for part in spec.split(",")]
        where = f"--label-names {spec!r}"
        if any(not entry for entry in entries):
            raise ConfigError(f"{where} holds an empty name; separate the names with single commas")
    if not entries:
        raise ConfigError(f"{where} holds no names; give one name per line")
    pairs = [_pair(entry) for entry in entries]
    if all(pair is None for pair in pairs):
        return entries
    if any(pair is None for pair in pairs):
        plain = next(entry for entry, pair in zip(entries, pairs, strict=True) if pair is None)
        raise ConfigError(
            f"{where} mixes LABEL=NAME pairs with a bare name ({plain!r}); give every label's name one way"
        )
    named: dict[str, str] = {}
    for label, name in (pair for pair in pairs if pair is not None):
        if label in named:
            raise ConfigError(f"{where} names label {label!r} twice ({named[label]!r} and {name!r})")
        named[label] = name
    return named


def _pair(entry: str) -> tuple[str, str] | None:
    """``("0", "admiration")`` for ``0=admiration`` (or a tab between them), ``None`` for a bare name."""
    for separator in ("\t", "="):
        label, found, name = entry.partition(separator)
        if found and label.strip() and name.strip():
            return label.strip(), name.strip()
    return None
