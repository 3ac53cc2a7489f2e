"""A barely trained tagger (NER fitted for 40s: half an epoch, no entity marked) printed a "Validation entities
by type" table whose every row said "none predicted" and 0 recall, below a metrics table that said so already;
it says one line now, and the table stays for a tagger that marks entities."""

from __future__ import annotations

import io

from rich.console import Console

from trainwell.evaluate.tagging import counts_from_tags, per_type_scores

CLASSES = ("B-LOC", "B-PER", "I-LOC", "I-PER", "O")
GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-LOC", "I-LOC", "O"], ["B-PER", "O", "O", "O"]]


def _shown(predicted: list[list[str]], gold: list[list[str]] = GOLD) -> str:
    from trainwell.cli._tagging import entities_by_type

    shown = entities_by_type(per_type_scores(counts_from_tags(gold, predicted, CLASSES)))
    if isinstance(shown, str):
        return shown
    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(shown)
    return console.export_text()


def test_a_tagger_that_marks_no_entity_says_one_line() -> None:
    said = _shown([["O"] * 4 for _ in GOLD])
    assert (
        said == "no entities predicted on the validation sentences yet (4 in them, of 2 types): train longer"
    )


def test_a_tagger_that_marks_entities_keeps_its_table() -> None:
    said = _shown([["B-PER", "I-PER", "O", "O"], ["O", "O", "O", "O"], ["B-PER", "O", "O", "O"]])
    assert "Validation entities by type" in said
    cells = [line.replace("│", " ").split() for line in said.splitlines()]
    rows = [row for row in cells if row and row[0] in ("LOC", "PER")]
    # LOC: never marked, yet a type of its own row; PER: both found
    assert rows == [
        ["LOC", "none", "predicted", "0.0000", "0.0000", "2"],
        ["PER", "1.0000", "1.0000", "1.0000", "2"],
    ]


def test_sentences_without_entities_say_so() -> None:
    gold = [["O"] * 4 for _ in GOLD]
    assert _shown(gold, gold) == "no entities in the validation sentences: there is nothing to score by type"
