"""Every plot returns the PNG it wrote as a PlotFile: a pathlib.Path that Jupyter shows inline, and a warning when a
default-named plot of one model replaces another's (a second model's confusion.png took the first one's place
without a word)."""

from __future__ import annotations

import copy
import os
import pickle
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from trainwell.core.plot_file import PNG_SIGNATURE, PlotFile
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.interpret import ClassificationInterpretation, occlusion_map, plot_occlusion
from trainwell.learner import Learner
from trainwell.vision import image_data, vision_learner

CLASSES = ("ant", "bee", "cat")


def _learner(seed: int, epochs: int = 1) -> Learner:
    """A tiny fitted classifier; another ``seed`` gives another model with other mistakes."""
    seed_everything(seed)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(120, 2, generator=generator)
    labels = [CLASSES[i] for i in (x @ torch.tensor([[1.5, -1.0, 0.0], [0.0, 1.0, -1.5]])).argmax(1).tolist()]
    data = tensor_data(x, labels, valid_pct=0.5, batch_size=16, seed=0)
    learn = Learner(nn.Linear(2, 3), data, progress=False, lr=0.05)
    if epochs:
        learn.fit(epochs)
    return learn


def _assert_plot_file(plot: object, where: Path) -> None:
    """The contract of a returned plot: a Path equal to the file written, whose _repr_png_ is that PNG."""
    assert isinstance(plot, PlotFile) and isinstance(plot, Path)
    assert plot == where and str(plot) == str(where) and os.fspath(plot) == os.fspath(where)
    assert hash(plot) == hash(where)
    shown = plot._repr_png_()
    assert shown is not None and shown.startswith(PNG_SIGNATURE)
    assert shown == plot.png == where.read_bytes()


def test_interpretation_plots_are_paths_that_show_their_png(tmp_path: Path) -> None:
    interp = ClassificationInterpretation.from_learner(_learner(0))
    _assert_plot_file(interp.plot_confusion_matrix(tmp_path / "cm.png"), tmp_path / "cm.png")
    _assert_plot_file(interp.plot_top_losses(tmp_path / "top.png", k=3), tmp_path / "top.png")
    _assert_plot_file(interp.plot_calibration(tmp_path / "cal.png"), tmp_path / "cal.png")


def test_training_plots_are_paths_that_show_their_png(tmp_path: Path) -> None:
    learn = _learner(0)
    _assert_plot_file(learn.recorder.plot(tmp_path / "curves.png"), tmp_path / "curves.png")
    sweep = learn.lr_find(num_it=20)
    _assert_plot_file(sweep.plot(tmp_path / "lr.png"), tmp_path / "lr.png")


def test_image_plots_and_occlusion_are_paths_that_show_their_png(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (24, 3, 12, 12), generator=generator, dtype=torch.uint8)
    data = image_data(images, labels=[i % 2 for i in range(24)], valid_pct=0.5, batch_size=8, seed=0)
    learn = vision_learner(data, arch="simple_cnn", progress=False)
    _assert_plot_file(data.show_batch(tmp_path / "batch.png", n=4), tmp_path / "batch.png")
    _assert_plot_file(learn.show_results(tmp_path / "results.png", n=4), tmp_path / "results.png")  # type: ignore[attr-defined]

    result = occlusion_map(learn, data.valid.tensors[0][0], patch=4)
    _assert_plot_file(result.plot(tmp_path / "occ.png"), tmp_path / "occ.png")
    _assert_plot_file(plot_occlusion([result, result], tmp_path / "two.png"), tmp_path / "two.png")
    # Without a path nothing is written and the bytes come back, as before (the HTML report embeds them).
    drawn = result.plot(None)
    assert type(drawn) is bytes and drawn.startswith(PNG_SIGNATURE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.png", "occ.png", "results.png", "two.png"]


def test_occlusion_plot_writes_occlusion_png_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    class Holder:
        model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2))

    result = occlusion_map(Holder(), torch.rand(3, 8, 8), patch=4)
    plot = result.plot()
    assert plot == Path("occlusion.png") and plot.png.startswith(PNG_SIGNATURE)
    assert (tmp_path / "occlusion.png").read_bytes() == plot.png


def test_copy_and_pickle_keep_the_path_and_the_figure(tmp_path: Path) -> None:
    plot = ClassificationInterpretation.from_learner(_learner(0)).plot_confusion_matrix(tmp_path / "cm.png")
    for again in (copy.copy(plot), copy.deepcopy(plot), pickle.loads(pickle.dumps(plot))):
        assert isinstance(again, PlotFile) and again == plot and again.png == plot.png
        assert again._repr_png_() == plot.png
    # A path derived from a plot (its folder) is no picture: IPython shows its text alone.
    assert not isinstance(plot.parent, PlotFile) or plot.parent._repr_png_() is None
    assert PlotFile(tmp_path / "missing.png")._repr_png_() is None


def test_ipython_displays_a_plot_inline(tmp_path: Path) -> None:
    interactive = pytest.importorskip("IPython.core.interactiveshell")
    plot = ClassificationInterpretation.from_learner(_learner(0)).plot_confusion_matrix(tmp_path / "cm.png")
    data, _ = interactive.InteractiveShell.instance().display_formatter.format(plot)
    assert data["image/png"] == (tmp_path / "cm.png").read_bytes()
    assert "cm.png" in data["text/plain"]


def test_a_second_model_replacing_a_default_named_plot_is_warned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first, second = _learner(0, epochs=0), _learner(5, epochs=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = ClassificationInterpretation.from_learner(first).plot_confusion_matrix()
        # The same model again (a cell run again, with other options): its own file, replaced without a word.
        ClassificationInterpretation.from_learner(first).plot_confusion_matrix()
        ClassificationInterpretation.from_learner(first).plot_confusion_matrix(normalize=True)
        kept = ClassificationInterpretation.from_learner(first).plot_confusion_matrix()
        # A path of one's own is never warned about.
        ClassificationInterpretation.from_learner(second).plot_confusion_matrix(tmp_path / "second.png")
    with pytest.warns(
        UserWarning, match=r"'confusion.png' held the confusion matrix of another model or data set.*path="
    ):
        replaced = ClassificationInterpretation.from_learner(second).plot_confusion_matrix()
    assert replaced == kept == Path("confusion.png")
    # The first model's figure is still the first one's, though its file now holds the second's.
    assert replaced.png == (tmp_path / "second.png").read_bytes() == Path("confusion.png").read_bytes()
    assert kept.png != replaced.png and kept._repr_png_() == kept.png
    # The same model on other data (its test rows rather than its validation rows) is another plot too.
    valid_only = ClassificationInterpretation.from_learner(second)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        valid_only.plot_top_losses(3)
    with pytest.warns(UserWarning, match=r"'top_losses.png' held the top losses of another model"):
        ClassificationInterpretation.from_learner(second, loader=second.data.train).plot_top_losses(3)


def test_show_batch_of_other_data_is_warned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 12, 12), generator=generator, dtype=torch.uint8)
    one = image_data(images, labels=[i % 2 for i in range(16)], valid_pct=0.5, batch_size=8, seed=0)
    other = image_data(images, labels=[i % 2 for i in range(16)], valid_pct=0.5, batch_size=8, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one.show_batch(n=4)
        one.show_batch(n=4)
    with pytest.warns(UserWarning, match=r"'batch.png' held the training images of another data set"):
        other.show_batch(n=4)


def test_a_sweep_run_again_on_the_same_model_replaces_its_plot_in_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each sweep was its own owner: lr_find().plot() run twice on one learner warned of "another sweep".
    import dataclasses

    monkeypatch.chdir(tmp_path)
    first, second = _learner(0, epochs=0), _learner(5, epochs=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sweep = first.lr_find(num_it=20)
        sweep.plot()
        first.lr_find(num_it=20).plot()
    assert "plot_owner" not in dataclasses.asdict(
        sweep
    )  # a checkpoint keeps the sweep's numbers, not its model
    with pytest.warns(UserWarning, match=r"'lr_find.png' held the learning-rate plot of another sweep"):
        second.lr_find(num_it=20).plot()
