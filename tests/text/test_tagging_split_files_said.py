"""Which file trains and which validates a tagger is said: a training file fitted alone beside its dev file
(UD's en_ewt-ud-train.conllu.gz, the form docs/tagging.md shows) validated on random training sentences without a
word, and a folder of CoNLL files named none of its files, where folders of tables and corpora do (tour60 #12)."""

from __future__ import annotations

import warnings
from pathlib import Path

from process_support import run_trainwell
from tagging_samples import pos_sentences, write_conll_file
from trainwell.core.warn import Note
from trainwell.text import tagging_data


def _ud_folder(folder: Path) -> Path:
    folder.mkdir()
    sentences = pos_sentences(60, seed=0)
    write_conll_file(folder / "en-ud-train.conll", sentences[:40])
    write_conll_file(folder / "en-ud-dev.conll", sentences[40:50])
    write_conll_file(folder / "en-ud-test.conll", sentences[50:])
    return folder


def test_a_training_file_with_a_dev_file_beside_it_says_the_dev_file_is_unused(tmp_path: Path) -> None:
    folder = _ud_folder(tmp_path / "ud")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = tagging_data(folder / "en-ud-train.conll", valid_pct=0.1, seed=0)
    notes = [str(w.message) for w in caught if issubclass(w.category, Note)]
    assert len(notes) == 1, [str(w.message) for w in caught]
    assert notes[0].startswith(
        "'en-ud-train.conll': validating on a random 10% of the training sentences (4 of 40"
    )
    assert "en-ud-dev.conll and en-ud-test.conll beside it are not used" in notes[0]
    assert f"valid='{folder / 'en-ud-dev.conll'}'" in notes[0]
    assert len(data.valid) > 0  # as before: the drawn sentences validate
    # Given its dev file, or read as the folder, nothing is said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tagging_data(folder / "en-ud-train.conll", valid=folder / "en-ud-dev.conll")
        tagging_data(folder)
    assert not [w for w in caught if issubclass(w.category, Note)]


def test_fit_says_which_files_train_validate_and_test(tmp_path: Path) -> None:
    folder = _ud_folder(tmp_path / "ud")
    alone, whole = (
        run_trainwell("fit", str(source), "--epochs", "1", "--out", str(tmp_path / name))
        for source, name in ((folder / "en-ud-train.conll", "alone"), (folder, "whole"))
    )
    assert alone.returncode == 0 and whole.returncode == 0, alone.stderr + whole.stderr
    said = " ".join(alone.stderr.split())
    assert "en-ud-dev.conll and en-ud-test.conll beside it are not used: fit the folder" in said, alone.stderr
    assert (
        f"'{folder}': tagged sentences in splits: training sentences from en-ud-train.conll; validation sentences "
        "from en-ud-dev.conll; test sentences from en-ud-test.conll (scored after the fit)"
    ) in " ".join(whole.stderr.split()), whole.stderr
