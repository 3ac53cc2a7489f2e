"""ClassificationInterpretation against scikit-learn and brute force on small trained linear models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix
from torch import nn

from trainwell.core.errors import ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import TensorLoader, tensor_data
from trainwell.interpret import ClassificationInterpretation
from trainwell.learner import Learner
from trainwell.losses import CrossEntropy

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSES = ("ant", "bee", "cat")


def _features(n_rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_rows, 2, generator=generator)
    noise = 0.8 * torch.randn(n_rows, 3, generator=generator)
    scores = x @ torch.tensor([[1.5, -1.0, 0.0], [0.0, 1.0, -1.5]]) + noise
    return x, scores


def _multiclass_learner(loss: nn.Module | None = None) -> Learner:
    seed_everything(0)
    x, scores = _features(300, seed=1)
    labels = [CLASSES[i] for i in scores.argmax(dim=1).tolist()]
    data = tensor_data(x, labels, valid_pct=0.4, batch_size=32, seed=0)
    learn = Learner(nn.Linear(2, 3), data, loss=loss, progress=False, lr=0.05)
    learn.fit(2)
    return learn


def _binary_learner() -> Learner:
    seed_everything(0)
    x, scores = _features(300, seed=2)
    labels = ["no" if s < 0.3 else "yes" for s in scores[:, 0].tolist()]
    data = tensor_data(x, labels, valid_pct=0.4, batch_size=32, seed=0)
    learn = Learner(nn.Linear(2, 1), data, progress=False, lr=0.05)
    learn.fit(2)
    return learn


@pytest.fixture(scope="module")
def multiclass() -> tuple[Learner, ClassificationInterpretation]:
    learn = _multiclass_learner()
    return learn, ClassificationInterpretation.from_learner(learn, batch_size=7)


@pytest.fixture(scope="module")
def binary() -> tuple[Learner, ClassificationInterpretation]:
    learn = _binary_learner()
    return learn, ClassificationInterpretation.from_learner(learn)


def _reference(learn: Learner) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Brute force from get_preds: per-row loss, actual, predicted, probability of the prediction."""
    raw, target = learn.get_preds(activate=False)
    assert target is not None
    if learn.task.kind == "binary":
        positive = torch.sigmoid(raw.reshape(-1))
        predicted = (positive >= 0.5).long()
        probability = torch.where(predicted == 1, positive, 1 - positive)
        losses = F.binary_cross_entropy_with_logits(raw.reshape(-1), target.float(), reduction="none")
    else:
        probabilities = torch.softmax(raw, dim=1)
        predicted = probabilities.argmax(dim=1)
        probability = probabilities.gather(1, predicted[:, None]).squeeze(1)
        losses = F.cross_entropy(raw, target.long(), reduction="none")
    return losses.numpy(), target.long().numpy(), predicted.numpy(), probability.numpy()


@pytest.mark.parametrize("which", ["multiclass", "binary"])
def test_confusion_matrix_matches_sklearn(which: str, request: pytest.FixtureRequest) -> None:
    learn, interp = request.getfixturevalue(which)
    _, actual, predicted, _ = _reference(learn)
    labels = list(range(len(learn.task.classes)))
    expected = confusion_matrix(actual, predicted, labels=labels)
    np.testing.assert_array_equal(interp.confusion_matrix(), expected)
    assert interp.confusion_matrix().sum() == learn.data.valid.n_rows == interp.n_rows


def test_most_confused_lists_off_diagonal_pairs_by_count(
    multiclass: tuple[Learner, ClassificationInterpretation],
) -> None:
    _, interp = multiclass
    matrix = interp.confusion_matrix()
    expected = sorted(
        ((CLASSES[a], CLASSES[p], int(matrix[a, p])) for a in range(3) for p in range(3) if a != p),
        key=lambda t: -t[2],
    )
    assert interp.most_confused() == [t for t in expected if t[2] >= 1]
    assert interp.most_confused(min_count=3) == [t for t in expected if t[2] >= 3]
    assert all(a != p for a, p, _ in interp.most_confused())


@pytest.mark.parametrize("which", ["multiclass", "binary"])
def test_top_losses_match_brute_force(which: str, request: pytest.FixtureRequest) -> None:
    learn, interp = request.getfixturevalue(which)
    losses, actual, predicted, probability = _reference(learn)
    order = sorted(range(len(losses)), key=lambda i: (-losses[i], i))[:9]
    classes = learn.task.classes
    top = interp.top_losses(9)
    # One type for every interpretation: a DataFrame indexed by the row (here its row of x: tensor_data keeps
    # which rows of x it held out, as data.valid_index).
    in_x = learn.data.valid_index
    assert isinstance(top, pd.DataFrame) and top.index.name == "row"
    assert list(top.columns) == ["loss", "actual", "predicted", "probability"]
    assert list(top.index) == in_x[order].tolist()
    for item, i in zip(top.itertuples(), order, strict=True):  # attribute access, as TopLoss gave it
        assert item.Index == in_x[i]
        assert item.loss == pytest.approx(float(losses[i]), rel=1e-5)
        assert item.actual == classes[actual[i]]
        assert item.predicted == classes[predicted[i]]
        assert item.probability == pytest.approx(float(probability[i]), rel=1e-5)
    assert len(interp.top_losses(10_000)) == interp.n_rows


def test_top_losses_breaks_ties_by_row_index() -> None:
    task = _multiclass_learner().task
    losses = np.array([1.0, 3.0, 3.0, 0.5, 3.0], dtype=np.float32)
    zeros = np.zeros(5, dtype=np.int64)
    interp = ClassificationInterpretation(task, losses, zeros, zeros, np.ones(5))
    assert list(interp.top_losses(2).index) == [1, 2]
    assert list(interp.top_losses(4).index) == [1, 2, 4, 0]


def test_streaming_keeps_only_small_per_row_vectors() -> None:
    learn = _multiclass_learner()
    n_rows = 20_000
    x, scores = _features(n_rows, seed=3)
    loader = TensorLoader((x, scores.argmax(dim=1)), batch_size=1_000)
    interp = ClassificationInterpretation.from_learner(learn, loader)
    assert interp.n_rows == n_rows
    held = [value for value in vars(interp).values() if isinstance(value, np.ndarray | torch.Tensor)]
    assert not any(isinstance(value, torch.Tensor) for value in held)
    assert all(value.shape == (n_rows,) for value in held), [value.shape for value in held]
    # 1-D only, so no N x C probability matrix: loss and confidence float32, classes int16 = 12 bytes a row.
    assert sum(value.nbytes for value in held) == n_rows * 12
    assert not any(isinstance(value, TensorLoader) for value in vars(interp).values())
    raw, target = learn.get_preds(loader, activate=False)
    assert target is not None
    expected = confusion_matrix(target.numpy(), raw.argmax(dim=1).numpy(), labels=[0, 1, 2])
    np.testing.assert_array_equal(interp.confusion_matrix(), expected)


def test_weighted_and_smoothed_loss_gives_per_row_values() -> None:
    weight = torch.tensor([1.0, 2.0, 0.5])
    learn = _multiclass_learner(CrossEntropy(label_smoothing=0.1, weight=weight))
    interp = ClassificationInterpretation.from_learner(learn)
    raw, target = learn.get_preds(activate=False)
    assert target is not None
    expected = F.cross_entropy(raw, target, weight=weight, label_smoothing=0.1, reduction="none")
    np.testing.assert_allclose(interp.losses, expected.numpy(), rtol=1e-5)


def test_unknown_loss_is_evaluated_row_by_row(
    multiclass: tuple[Learner, ClassificationInterpretation],
) -> None:
    learn, interp = multiclass

    def doubled_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 2 * F.cross_entropy(output, target)

    learn.loss_func = doubled_cross_entropy
    try:
        custom = ClassificationInterpretation.from_learner(learn)
    finally:
        learn.loss_func = CrossEntropy()
    np.testing.assert_allclose(custom.losses, 2 * interp.losses, rtol=1e-5)


def test_calibration_bins_match_sklearn(binary: tuple[Learner, ClassificationInterpretation]) -> None:
    learn, interp = binary
    raw, target = learn.get_preds(activate=False)
    assert target is not None
    positive = torch.sigmoid(raw.reshape(-1)).numpy()
    observed, predicted = calibration_curve(target.numpy(), positive, n_bins=5, strategy="uniform")
    mean_probability, frequency, counts = interp.calibration(n_bins=5)
    np.testing.assert_allclose(mean_probability, predicted, rtol=1e-5)
    np.testing.assert_allclose(frequency, observed, rtol=1e-6)
    assert counts.sum() == interp.n_rows


def test_multiclass_calibration_is_confidence_against_accuracy(
    multiclass: tuple[Learner, ClassificationInterpretation],
) -> None:
    _, interp = multiclass
    mean_probability, frequency, counts = interp.calibration(n_bins=1)
    correct = np.trace(interp.confusion_matrix()) / interp.n_rows
    assert frequency.tolist() == pytest.approx([correct])
    assert mean_probability.tolist() == pytest.approx([float(interp.confidence.mean())], rel=1e-5)
    assert counts.tolist() == [interp.n_rows]


def test_every_plot_writes_a_png(
    tmp_path: Path,
    multiclass: tuple[Learner, ClassificationInterpretation],
    binary: tuple[Learner, ClassificationInterpretation],
) -> None:
    _, interp = multiclass
    _, binary_interp = binary
    rows = pd.DataFrame(
        {"x0": np.arange(interp.n_rows) * 0.5, "name": [f"r{i}" for i in range(interp.n_rows)]}
    )
    written = [
        interp.plot_confusion_matrix(tmp_path / "cm.png"),
        interp.plot_confusion_matrix(tmp_path / "cm_norm.png", normalize=True),
        interp.plot_top_losses(tmp_path / "top.png", k=5),
        interp.plot_top_losses(tmp_path / "top_rows.png", k=5, rows=rows),
        interp.plot_calibration(tmp_path / "calibration.png", n_bins=5),
        binary_interp.plot_calibration(tmp_path / "nested" / "binary_calibration.png"),
    ]
    for path in written:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(p.name for p in written[:5])


def test_plots_have_default_files_and_take_fastais_top_losses_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, multiclass: tuple[Learner, ClassificationInterpretation]
) -> None:
    # plot_top_losses(9) stopped in "expected str, bytes or os.PathLike object, not int", plot_confusion_matrix()
    # in a missing argument, while show_batch() and recorder.plot() wrote batch.png and curves.png.
    learn, interp = multiclass
    monkeypatch.chdir(tmp_path)
    written = [
        interp.plot_top_losses(4),
        interp.plot_confusion_matrix(),
        interp.plot_calibration(),
        learn.lr_find(num_it=20).plot(),
    ]
    assert [path.name for path in written] == [
        "top_losses.png",
        "confusion.png",
        "calibration.png",
        "lr_find.png",
    ]
    assert all((tmp_path / path).read_bytes()[:8] == PNG_SIGNATURE for path in written)
    with pytest.raises(ConfigError, match=r"^path must be a file name for the PNG, got 2\.5"):
        interp.plot_top_losses(2.5)  # type: ignore[arg-type]


def test_bad_inputs_say_what_to_do(multiclass: tuple[Learner, ClassificationInterpretation]) -> None:
    _, interp = multiclass
    with pytest.raises(ConfigError, match=r"rows must hold one row per interpreted row \(120\), got 3"):
        interp.plot_top_losses("unused.png", rows=pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ConfigError, match="k must be a positive integer, got 0"):
        interp.top_losses(0)
    regression = tensor_data(torch.randn(20, 2), torch.randn(20).numpy(), valid_pct=0.5)
    regression_learn = Learner(nn.Linear(2, 1), regression, progress=False)
    with pytest.raises(ConfigError, match="needs a binary or multiclass task, got 'regression'"):
        ClassificationInterpretation.from_learner(regression_learn)
    no_valid = tensor_data(torch.randn(20, 2), ["a", "b"] * 10, valid_pct=0)
    with pytest.raises(ConfigError, match="has no validation set; pass loader="):
        ClassificationInterpretation.from_learner(Learner(nn.Linear(2, 1), no_valid, progress=False))


def _keep_figures(monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    from trainwell.interpret import _plots

    drawn: list = []  # type: ignore[type-arg]
    save = _plots._save
    monkeypatch.setattr(_plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    return drawn


def test_the_confusion_colour_scale_counts_in_whole_numbers_and_says_what(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The colour bar had no label, and ticks at 2.5, 7.5, 17.5 for counts of images.
    from trainwell.data.task import Task

    drawn = _keep_figures(monkeypatch)
    actual = np.repeat(np.arange(3), 7)
    interp = ClassificationInterpretation(
        Task("multiclass", CLASSES, ("y",)), np.ones(21), actual, actual, np.full(21, 0.9)
    )
    interp.plot_confusion_matrix(tmp_path / "cm.png")
    interp.plot_confusion_matrix(tmp_path / "share.png", normalize=True)
    counts, shares = (figure.axes[1] for figure in drawn)
    drawn[0].canvas.draw()
    assert counts.get_ylabel() == "count" and shares.get_ylabel() == "share of the actual class"
    ticks = [tick for tick in counts.get_yticks() if 0 <= tick <= 7]
    assert len(ticks) >= 2 and all(float(tick).is_integer() for tick in ticks)


def test_the_calibration_legend_hides_no_point(
    binary: tuple[Learner, ClassificationInterpretation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = _keep_figures(monkeypatch)
    binary[1].plot_calibration(tmp_path / "calibration.png")
    figure = drawn[0]
    figure.canvas.draw()
    axis = figure.axes[0]
    assert axis.get_legend().get_window_extent().y1 < axis.get_window_extent().y0  # under the panel
    assert "count per bin" in axis.get_title()  # rows, images or texts: the page says which


def test_the_top_losses_table_says_whose_probability_it_shows(
    multiclass: tuple[Learner, ClassificationInterpretation], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A column headed "probability" beside a loss of 3.9 at 0.54 read as a contradiction: it is the
    # predicted class's probability, the loss is that of the actual class.
    drawn = _keep_figures(monkeypatch)
    multiclass[1].plot_top_losses(tmp_path / "top.png", k=3)
    axis = drawn[0].axes[0]
    header = [axis.tables[0][0, column].get_text().get_text() for column in range(5)]
    assert header == ["row", "actual", "predicted", "p(predicted)", "loss"]
    assert "-log of the probability given to the actual class" in axis.get_title()


def test_a_missing_test_set_is_refused_not_replaced_by_the_validation_set(
    binary: tuple[Learner, ClassificationInterpretation],
) -> None:
    learn, interp = binary
    assert learn.data.test is None
    with pytest.raises(
        ConfigError, match=r"ClassificationInterpretation.from_learner\(None\): there is no data"
    ):
        ClassificationInterpretation.from_learner(learn, learn.data.test)  # interpreted the validation rows
    assert ClassificationInterpretation.from_learner(learn, learn.data.valid).n_rows == interp.n_rows


@pytest.mark.data
def test_a_confusion_matrix_of_many_classes_stays_a_readable_picture(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each cell's count was written whatever the number of classes, on a figure growing with them: at 120
    classes, 14,400 labels on a 6537x5946 PNG that took a minute to draw (the report embeds it). Past
    MAX_WRITTEN_CLASSES the colour alone tells the counts, on a figure of bounded size; the countries of
    Adult's first 3,000 rows ('?' among them), fewer, keep their numbers."""
    import pandas as pd

    from trainwell.data.task import Task
    from trainwell.interpret._plots import MAX_FIGURE_INCHES, MAX_WRITTEN_CLASSES

    names = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation"]
    names += ["relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "country", "y"]
    table = pd.read_csv(
        shared_data / "adult" / "adult.data.gz", names=names, skipinitialspace=True, nrows=3000
    )
    countries = tuple(sorted(table["country"].unique()))
    actual = table["country"].map({name: index for index, name in enumerate(countries)}).to_numpy()
    rng = np.random.default_rng(0)
    guessed = np.where(rng.random(len(actual)) < 0.9, actual, countries.index("United-States"))
    drawn = _keep_figures(monkeypatch)
    few = ClassificationInterpretation(
        Task("multiclass", countries, ("country",)),
        rng.random(len(actual)),
        actual,
        guessed,
        np.ones(len(actual)),
    )
    few.plot_confusion_matrix(tmp_path / "countries.png")
    assert 30 < len(countries) <= MAX_WRITTEN_CLASSES
    assert len(drawn[0].axes[0].texts) == len(countries) ** 2

    many = tuple(f"breed {index}" for index in range(120))
    codes = (actual * 7 + guessed) % 120  # 120 classes of real, uneven frequencies
    interp = ClassificationInterpretation(
        Task("multiclass", many, ("breed",)),
        np.ones(len(codes)),
        codes,
        (codes + (guessed % 3 == 0)) % 120,
        np.ones(len(codes)),
    )
    interp.plot_confusion_matrix(tmp_path / "breeds.png")
    figure = drawn[1]
    assert len(figure.axes[0].texts) == 0
    assert max(figure.get_size_inches()) <= MAX_FIGURE_INCHES
    assert "colour" in figure.axes[0].get_title()
    assert (tmp_path / "breeds.png").stat().st_size < 1_000_000


def test_the_top_losses_title_says_what_the_loss_is(
    multiclass: tuple[Learner, ClassificationInterpretation],
    binary: tuple[Learner, ClassificationInterpretation],
    tmp_path: Path,
) -> None:
    # An image learner's label smoothing ranked the rows by a loss the title called "-log of the probability given
    # to the actual class" (3.333 against 3.311 by hand).
    for _, interp in (multiclass, binary):
        assert interp.loss_is_nll is True
    smoothed = ClassificationInterpretation.from_learner(
        _multiclass_learner(CrossEntropy(label_smoothing=0.1))
    )
    assert smoothed.loss_is_nll is False
    from matplotlib.axes import Axes

    titles: list[str] = []
    original = Axes.set_title
    with pytest.MonkeyPatch.context() as patch:  # the titles the plots set, as drawn
        patch.setattr(
            Axes,
            "set_title",
            lambda axis, text, *a, **k: titles.append(text) or original(axis, text, *a, **k),
        )
        multiclass[1].plot_top_losses(tmp_path / "plain.png", k=3)
        smoothed.plot_top_losses(tmp_path / "smoothed.png", k=3)
    assert titles == [
        "Top 3 losses (loss: -log of the probability given to the actual class)",
        "Top 3 losses (loss: the training loss of the row, which label smoothing or class weights make more than -log p)",
    ]
