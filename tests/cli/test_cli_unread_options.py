"""An option a command would silently ignore for the data or the model it was given is refused in one line (exit
2) naming the option, what it is for and what the data or model was read as, before anything is trained or loaded.

The model directories here hold only a ``trainwell.json``: every refusal comes before the model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

#: The files each case names, as ``{name}`` in its arguments (made once by the ``files`` fixture).
MODELS = {
    "table_model": {"application": "tabular", "task": {"kind": "binary"}},
    "text_model": {"application": "text", "task": {"kind": "multiclass"}},
    "lm_model": {"application": "text", "task": {"kind": "language_model"}},
    "tagger_model": {"application": "text", "task": {"kind": "tagging"}},
    "image_model": {"application": "vision", "task": {"kind": "multiclass"}},
    "recommender": {"application": "collab", "task": {"kind": "regression"}},
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("unread")
    written = {
        "table": ("table.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n"),
        "texts": ("texts.csv", "review,y\ngood film,pos\nbad film,neg\n"),
        "ratings": ("ratings.csv", "user,item,r\n1,1,4.0\n2,2,3.0\n3,1,5.0\n"),
        "conll": ("tags.conll", "EU NNP B-ORG\nrejects VBZ O\n\nPeter NNP B-PER\nsmiled VBD O\n"),
        "corpus": ("corpus.txt", "the cat sat on the mat\nthe dog sat on the log\n"),
        "points": ("points.csv", "x1,x2,label\n0,0,a\n1,1,b\n"),
    }
    paths = {}
    for name, (file, text) in written.items():
        (root / file).write_text(text, encoding="utf-8")
        paths[name] = str(root / file)
    images = root / "photos"
    for label in ("cat", "dog"):
        (images / label).mkdir(parents=True)
        # Never decoded: every refusal comes before the images are read.
        (images / label / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    paths["images"] = str(images)
    for name, metadata in MODELS.items():
        (root / name).mkdir()
        (root / name / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
        paths[name] = str(root / name)
    paths["generated"] = str(root / "generated.csv")
    return paths


CASES = [
    # evaluate: a language model, a tagger, images, ratings, texts, tables
    (["evaluate", "{corpus}", "--task", "language_model", "--cv", "3"],
     "--cv is not used by a language model (--task language_model): drop it"),
    (["evaluate", "{corpus}", "--task", "language_model", "--arch", "mlp", "--size", "32"],
     "--size, --arch are not used by a language model (--task language_model): drop them"),
    (["evaluate", "{corpus}", "--task", "language_model", "--implicit"],
     "--implicit is not used by a language model (--task language_model): drop it"),
    (["evaluate", "{conll}", "--target", "y"], "--target is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["evaluate", "{conll}", "--label-delim", "|"],
     "--label-delim is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["evaluate", "{conll}", "--arch", "mlp"], "--arch is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["evaluate", "{images}", "--text", "review"],
     "--text is for texts, not images ('{images}' was read as a folder of class folders of images): drop it"),
    (["evaluate", "{images}", "--user", "u", "--item", "i"],
     "--user, --item are for ratings, not images ('{images}' was read as a folder of class folders of images): "
     "drop them"),
    (["evaluate", "{images}", "--tag-col", "ner"],
     "--tag-col is for tagged sentences (CoNLL files), not images ('{images}' was read as a folder of class folders "
     "of images): drop it"),
    (["evaluate", "{images}", "--label-col", "y"],
     "--label-col is for a CSV of image paths, not a folder of class folders of images ('{images}'): drop it"),
    (["evaluate", "{images}", "--path-col", "p", "--label-col", "y"],
     "--path-col, --label-col are for a CSV of image paths, not a folder of class folders of images ('{images}'): "
     "drop them"),
    (["evaluate", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--label-delim", "|"],
     "--label-delim is not used by a recommender (--user, --item): drop it"),
    # --arch names the recommender (evaluate_ratings' arch=): a table's is refused by name, before any fold
    (["evaluate", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--arch", "mlp"],
     "--arch mlp is not a recommender's architecture; use one of: collab_nn, dot_bias, ease"),
    (["evaluate", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--groups", "user"],
     "--groups is not for a recommender (--user, --item): grouping the ratings by a column would score users (or "
     "items) never trained on, and a collaborative filter has learnt nothing of a user it never saw; its folds hold "
     "out ratings, each user's others trained on; drop it"),
    # --implicit alone reads the table as interactions, as fit does, and so refuses what a recommender never reads
    (["evaluate", "{ratings}", "--implicit", "--size", "32"],
     "--size is not used by a recommender (--implicit): drop it"),
    (["evaluate", "{texts}", "--text", "review", "--target", "y", "--size", "32"],
     "--size is for images, not texts (--text): drop it"),
    # --arch names the text model (evaluate_texts' arch=): a table's is refused by name, before any fold
    (["evaluate", "{texts}", "--text", "review", "--target", "y", "--arch", "mlp"],
     "unknown text architecture 'mlp'; choose one of: awd_lstm, ngram_bag, fast (= ngram_bag), bag (= ngram_bag), "
     "ulmfit (= awd_lstm) (e.g. --arch ulmfit)"),
    # --groups: texts and CSVs of images take it (tests/cli/test_cli_evaluate_groups.py); a folder has no column
    (["evaluate", "{images}", "--groups", "g"],
     "--groups needs a column to group the images by, and the folder '{images}' has none: list the images in a CSV "
     "with a column each of paths, labels and groups, and pass --path-col, --label-col and --groups with its "
     "columns"),
    (["evaluate", "{corpus}", "--task", "language_model", "--groups", "g"],
     "--groups is not for a language model (--task language_model): it is judged on one held-out text (--test, or "
     "the corpus's last 10% of texts), with no folds to group; keep a source's texts out of training by putting "
     "them in --test; drop it"),
    (["evaluate", "{conll}", "--groups", "g"],
     "--groups is not for a tagger (tagged sentences, CoNLL files): CoNLL files hold no column to group sentences "
     "by (each sentence is kept whole in one fold already); drop it"),
    (["evaluate", "{table}", "--target", "y", "--size", "32"], "--size is for images, not tables: drop it"),
    (["evaluate", "{texts}", "--text", "review", "--target", "y", "--tokenizer", "word"],
     "--tokenizer is for language models (--task language_model), not texts (--text): drop it"),
    (["evaluate", "{images}", "--tokenizer", "word"],
     "--tokenizer is for language models (--task language_model), not images ('{images}' was read as a folder of "
     "class folders of images): drop it"),
    (["evaluate", "{conll}", "--tokenizer", "word"],
     "--tokenizer is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["evaluate", "{table}", "--target", "y", "--label-col", "y"],
     "--label-col is for images (a CSV of image paths, with --path-col), not tables: drop it"),
    (["evaluate", "{table}", "--target", "y", "--tag-col", "ner"],
     "--tag-col is for tagged sentences (CoNLL files), not tables: drop it"),
    # tune: a tagger, a recommender, a table
    (["tune", "{conll}", "--valid-col", "v"], "--valid-col is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["tune", "{conll}", "--no-label-thresholds"],
     "--no-label-thresholds is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["tune", "{conll}", "--implicit"], "--implicit is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["tune", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--label-delim", "|"],
     "--label-delim is not used by a recommender (--user, --item): drop it"),
    (["tune", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--tag-col", "ner"],
     "--tag-col is not used by a recommender (--user, --item): drop it"),
    (["tune", "{table}", "--target", "y", "--tag-col", "ner"],
     "--tag-col is for tagged sentences (CoNLL files), not tables: drop it"),
    (["tune", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--label-names", "a,b"],
     "--label-names is not used by a recommender (--user, --item): drop it"),
    (["tune", "{conll}", "--label-names", "a,b"],
     "--label-names is not used by a tagger (tagged sentences, CoNLL files): drop it"),
    (["fit", "{ratings}", "--user", "user", "--item", "item", "--target", "r", "--label-names", "a,b"],
     "--label-names is not used by a recommender (--user, --item): drop it"),
    (["fit", "{corpus}", "--task", "language_model", "--label-names", "a,b"],
     "--label-names is not used by a language model (--task language_model): drop it"),
    # predict
    (["predict", "{lm_model}", "{corpus}", "--tta"], "--tta (test-time augmentation) is for image models; drop it"),
    (["predict", "{text_model}", "{texts}", "--allow-missing-columns"],
     "--allow-missing-columns is for tables and recommenders, not a text classifier: drop it"),
    (["predict", "{tagger_model}", "{conll}", "--allow-missing-columns"],
     "--allow-missing-columns is for tables and recommenders, not a tagger: drop it"),
    (["predict", "{image_model}", "{images}", "--encoding", "latin-1"],
     "--encoding is for tables and texts, not an image model: drop it"),
    # report
    (["report", "{table_model}", "--data", "{table}", "--out", "rep"],
     "--out 'rep': the report is an HTML page, and a browser opens it by its name; pass rep.html"),
    (["report", "{table_model}", "--data", "{table}", "--path-col", "p"],
     "--path-col is for image models judged on a CSV of paths and labels, not a table model: drop it"),
    (["report", "{image_model}", "--data", "{images}", "--label-col", "y"],
     "--label-col is for a CSV of paths and labels, not a folder of class folders ('{images}'): drop it"),
    (["report", "{image_model}", "--data", "{images}", "--encoding", "latin-1"],
     "--encoding latin-1 applies to tables (CSV, TSV, JSON); image folders are read as UTF-8: drop --encoding"),
    (["report", "{text_model}", "--data", "{texts}", "--item-names", "{table}"],
     "--item-names names a recommender's items, not those of a text classifier: drop it"),
    # export
    (["export", "{table_model}", "--encoding", "latin-1"],
     "--encoding is for the --data files, not inputs synthesised from the recipe: drop it"),
    (["export", "{image_model}", "--data", "{images}", "--encoding", "latin-1"],
     "--encoding is for tables and texts, not an image model: drop it"),
    # recommend, generate, boundary
    (["recommend", "{recommender}", "--similar-to", "3", "--include-seen"],
     "--include-seen is for user ids, not --similar-to: drop it"),
    (["recommend", "{recommender}", "--similar-to", "3", "--seen", "{ratings}"],
     "--seen is for user ids, not --similar-to: drop it"),
    (["recommend", "{recommender}", "1", "--encoding", "latin-1"],
     "--encoding is not used by recommend without --seen or --item-names (the only files it reads): drop it"),
    (["generate", "{lm_model}", "the cat", "--temperature", "0", "--top-k", "5", "--seed", "1"],
     "--top-k, --seed are not used by greedy decoding (--temperature 0): drop them"),
    (["boundary", "{generated}", "--generate", "gaussian", "--models", "logistic"],
     "--models is not used by --generate (it writes the data and draws nothing): drop it"),
    (["boundary", "{points}", "--n", "100"],
     "--n is for --generate (the number of points to write), not drawing the boundaries of '{points}': drop it"),
    (["boundary", "{points}", "--models", "logistic", "--gif", "g.gif"],
     "--gif is not used by --models without mlp (they are the MLP's): drop it"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(args[:1] + args[2:]) for args, _ in CASES])
def test_an_option_the_data_never_reads_is_refused_in_one_line(
    files: dict[str, str], args: list[str], said: str
) -> None:
    from trainwell.cli.app import app

    result = CliRunner().invoke(app, [arg.format(**files) for arg in args], env={"COLUMNS": "200"})
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert lines == [f"error: {said.format(**files)}"], result.output
    assert not Path(files["generated"]).exists()  # --generate refused: nothing written


def test_evaluate_takes_an_image_architecture_and_refuses_a_table_one_before_reading_images(
    files: dict[str, str],
) -> None:
    from trainwell.cli.app import app

    result = CliRunner().invoke(app, ["evaluate", files["images"], "--arch", "gbdt"], env={"COLUMNS": "200"})
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith(
        "error: arch 'gbdt' is a tabular architecture; choose one of: "
    )
    assert "xresnet18" in lines[0]
