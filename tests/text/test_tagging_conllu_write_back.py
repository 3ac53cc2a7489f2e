"""Writing predictions back into CoNLL-U: gold tags are kept (the prediction goes to MISC), an empty tag column
is filled (tour54 F11: ``predict --out pred.conllu`` overwrote the gold UPOS)."""

from __future__ import annotations

from pathlib import Path

from trainwell.text.tagging.conll import holds_gold_tags, read_conll, write_conllu

GOLD = (
    "# sent_id = 1\n"
    "# text = What's up\n"
    "1-2\tWhat's\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "1\tWhat\twhat\tPRON\tWP\t_\t0\troot\t_\t_\n"
    "2\t's\tbe\tAUX\tVBZ\t_\t1\tcop\t_\tSpaceAfter=No|UPOS_pred=X\n"
    "3\tup\tup\tADV\tRB\t_\t1\tadvmod\t_\t_\n"
    "\n"
)


def test_gold_upos_is_kept_and_the_prediction_goes_to_misc(tmp_path: Path) -> None:
    source = tmp_path / "gold.conllu"
    source.write_text(GOLD, encoding="utf-8")
    corpus = read_conll(source)
    assert holds_gold_tags(corpus, "upos")
    out = write_conllu(tmp_path / "pred.conllu", corpus, "upos", [["PROPN", "VERB", "ADP"]], keep_gold=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == GOLD.splitlines()[:3]  # comments and the multiword token, in place
    assert [line.split("\t")[3] for line in lines[3:6]] == ["PRON", "AUX", "ADV"]  # the gold
    # An earlier prediction is replaced, other attributes kept in their order.
    assert [line.split("\t")[9] for line in lines[3:6]] == [
        "UPOS_pred=PROPN",
        "SpaceAfter=No|UPOS_pred=VERB",
        "UPOS_pred=ADP",
    ]
    assert [line.split("\t")[:9] for line in lines[3:6]] == [
        line.split("\t")[:9] for line in GOLD.splitlines()[3:6]
    ]


def test_an_empty_tag_column_is_filled(tmp_path: Path) -> None:
    source = tmp_path / "raw.conllu"
    source.write_text(
        "1\tWhat\t_\t_\t_\t_\t_\t_\t_\t_\n2\tup\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n\n", encoding="utf-8"
    )
    corpus = read_conll(source)
    assert not holds_gold_tags(corpus, "upos")
    lines = write_conllu(tmp_path / "pred.conllu", corpus, "upos", [["PRON", "ADV"]]).read_text().splitlines()
    assert [line.split("\t")[3] for line in lines if line] == ["PRON", "ADV"]
    assert [line.split("\t")[9] for line in lines if line] == ["_", "SpaceAfter=No"]
    # keep_gold=True writes into MISC whatever the column holds (the CLI passes holds_gold_tags).
    kept = write_conllu(tmp_path / "kept.conllu", corpus, "upos", [["PRON", "ADV"]], keep_gold=True)
    assert [line.split("\t")[9] for line in kept.read_text().splitlines() if line] == [
        "UPOS_pred=PRON",
        "SpaceAfter=No|UPOS_pred=ADV",
    ]
