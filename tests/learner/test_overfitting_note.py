"""The overfitting sentence: said for a rise of a few percent that lasts while the training loss falls clearly
(the text classifier and multi-label curves of tour T48), not for noise; by every fit and under a report's
curves."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from trainwell.learner.run_files import overfitting_note

# The tour's text classifier (rt-polarity, 2,500 texts): epochs 1-25's losses as its history.csv wrote them.
RT_VALID = [0.6924, 0.6902, 0.6828, 0.6578, 0.6160, 0.5738, 0.5461, 0.5297, 0.5211, 0.5167, 0.5185, 0.5217,
            0.5286, 0.5311, 0.5363, 0.5406, 0.5437, 0.5467, 0.5494, 0.5514, 0.5525, 0.5537, 0.5540, 0.5541,
            0.5542]  # fmt: skip
RT_TRAIN = [0.6932, 0.6918, 0.6865, 0.6665, 0.6119, 0.5266, 0.4334, 0.3481, 0.2772, 0.2214, 0.1791, 0.1457,
            0.1244, 0.1026, 0.0898, 0.0772, 0.0727, 0.0628, 0.0604, 0.0545, 0.0558, 0.0540, 0.0515, 0.0519,
            0.0530]  # fmt: skip


def _history(valid: list[float], train: list[float]) -> list[dict[str, float]]:
    return [
        {"fit": 1, "epoch": i, "train_loss": t, "valid_loss": v}
        for i, (v, t) in enumerate(zip(valid, train, strict=True))
    ]


def test_a_text_classifiers_seven_percent_rise_over_fifteen_epochs_is_called_overfitting() -> None:
    note = overfitting_note(_history(RT_VALID, RT_TRAIN))
    assert note is not None
    assert note.startswith("the validation loss rose from 0.5167 at epoch 10 to 0.5542 at epoch 25 (7% up)")
    assert "training loss fell from 0.2214 to 0.053" in note and "--epochs 10" in note


def test_a_multilabel_rise_of_thirteen_percent_is_called_overfitting() -> None:
    valid = [0.1538, 0.1524, 0.1440, 0.1321, 0.1250, 0.1222, 0.1211] + [
        0.1229 + 0.00061 * i for i in range(23)
    ]
    train = [0.148, 0.147, 0.143, 0.131, 0.121, 0.114, 0.105] + [0.098 - 0.0015 * i for i in range(23)]
    note = overfitting_note(_history(valid, train))
    assert note is not None and "at epoch 7" in note and "(13% up)" in note


@pytest.mark.parametrize(
    ("valid", "train"),
    [
        # a plateau that jitters by 2-4% above its lowest: noise
        ([0.7, 0.55, 0.52, 0.535, 0.53, 0.54, 0.525, 0.535], [0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.08]),
        # one high epoch at the end: the rise does not last
        ([0.7, 0.55, 0.52, 0.53, 0.52, 0.53, 0.6], [0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1]),
        # the validation loss rose and came back down near its lowest
        ([0.7, 0.52, 0.6, 0.62, 0.6, 0.53], [0.7, 0.4, 0.3, 0.2, 0.1, 0.05]),
        # the training loss barely moved (0.40 -> 0.36): drift, not the model learning its rows
        ([0.7, 0.55, 0.52, 0.56, 0.57, 0.58], [0.7, 0.5, 0.4, 0.38, 0.37, 0.36]),
    ],
)
def test_no_overfitting_note_for_noise(valid: list[float], train: list[float]) -> None:
    assert overfitting_note(_history(valid, train)) is None


def test_every_fit_warns_through_one_closing_call_unless_the_best_epoch_was_kept() -> None:
    from trainwell.cli.fit_cmd import warn_overfitting

    learn = SimpleNamespace(history=_history(RT_VALID, RT_TRAIN), weights_row=None)
    with pytest.warns(UserWarning, match=r"rose from 0.5167 at epoch 10"):
        warn_overfitting(learn)
    kept = SimpleNamespace(history=learn.history, weights_row=9)  # --patience loaded epoch 10 back
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_overfitting(kept)


def test_the_tagger_and_language_model_fits_close_through_the_same_warning() -> None:
    """The fits that do not end in report_fit (taggers, language models) call the same warning."""
    import inspect

    from trainwell.cli import _tagging, fit_cmd

    assert "warn_overfitting(learn)" in inspect.getsource(_tagging._show_tagging)
    assert "warn_overfitting(learn)" in inspect.getsource(fit_cmd._fit_language_model)
    assert "warn_overfitting(result.learn)" in inspect.getsource(fit_cmd.report_fit)


def _training_html(folder: Path, training: dict[str, object]) -> str:
    from PIL import Image

    from trainwell.report.build import _training_section

    Image.new("RGB", (40, 20), "white").save(folder / "curves.png")
    return _training_section(folder, {"training": training})


def test_the_report_says_it_under_the_training_curves(tmp_path: Path) -> None:
    history = _history(RT_VALID, RT_TRAIN)
    html = _training_html(tmp_path, {"history": history})
    said = html.index(
        "Warning: The validation loss rose from 0.5167 at epoch 10 to 0.5542 at epoch 25 (7% up)"
    )
    assert html.index("<img") < said < html.index("<table")  # under the curves, above the history
    kept = _training_html(tmp_path, {"history": history, "weights_from_epoch": 10})
    assert "overfits" not in kept
    flat = _training_html(
        tmp_path, {"history": _history([0.7, 0.55, 0.52, 0.53, 0.53], [0.7, 0.5, 0.4, 0.3, 0.2])}
    )
    assert "overfits" not in flat
