"""What the interpretation and training figures say, read from the matplotlib figures themselves (captured as they
are saved): the colours of captions, titles, tick rotation, colour bars and marker positions that a PNG's bytes
cannot be asserted on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every matplotlib figure saved during the test, in order (they are closed after saving, not destroyed)."""
    from matplotlib.figure import Figure

    saved: list[Any] = []
    original = Figure.savefig

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording)
    return saved


def test_top_loss_captions_are_red_only_when_wrong_and_name_the_class_of_p(
    tmp_path: Path, figures: list[Any]
) -> None:
    from trainwell.interpret._plots import plot_top_loss_images

    top = pd.DataFrame(
        {
            "actual": ["6", "4"],
            "predicted": ["5", "4"],
            "probability": [0.70, 0.21],
            "loss": [2.52, 1.66],
            "path": ["6/958.png", "4/718.png"],
        }
    )
    images = torch.zeros(2, 1, 8, 8, dtype=torch.uint8)
    plot_top_loss_images(top, images, tmp_path / "top.png")
    (figure,) = figures
    titles = [axis.title for axis in figure.axes if axis.get_title()]
    assert [t.get_text() for t in titles] == [
        "6 -> 5\np(5)=0.70, loss 2.52\n6/958.png",
        "4 -> 4\np(4)=0.21, loss 1.66\n4/718.png",
    ]
    # show_results' meaning of red: wrong. The right prediction with a high loss is not red.
    assert [t.get_color() for t in titles] == ["red", "black"]
    heading = figure._suptitle.get_text()
    assert (
        heading.startswith("Top 2 losses") and "wrong in red" in heading and "p(predicted class)" in heading
    )


def _legend_texts(figure: Any) -> list[str]:
    return [
        text.get_text() for axis in figure.axes if axis.get_legend() for text in axis.get_legend().get_texts()
    ]


def test_image_lr_find_png_marks_the_rate_fit_would_train_at(tmp_path: Path, figures: list[Any]) -> None:
    # The console said "fit trains this model at 2.0e-03 unless given --lr"; the PNG showed only the suggestion.
    from typer.testing import CliRunner

    from image_files import make_image_folder
    from trainwell.cli.app import app

    images = make_image_folder(tmp_path / "shapes", per_class=16)
    result = CliRunner().invoke(app, ["lr-find", str(images), "--out", str(tmp_path / "lr.png")])
    assert result.exit_code == 0, result.output
    default = re.search(r"fit trains this model at (\S+) unless given --lr", result.output.replace("\n", " "))
    assert default is not None
    (figure,) = figures
    assert f"fit trains at {default.group(1)} (no --lr)" in _legend_texts(figure)


def test_occlusion_maps_have_a_signed_colour_bar_and_name_the_covering_fill(
    tmp_path: Path, figures: list[Any]
) -> None:
    from trainwell.interpret import occlusion_map, plot_occlusion
    from trainwell.vision import image_data, vision_learner

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 12, 12), generator=generator, dtype=torch.uint8)
    data = image_data(images, labels=[i % 2 for i in range(16)], valid_pct=0.5, batch_size=8, seed=0)
    learn = vision_learner(data, arch="simple_cnn", progress=False)
    maps = [occlusion_map(learn, images[i], fill=0.25) for i in range(3)]
    plot_occlusion(maps, tmp_path / "occlusion.png")
    (figure,) = figures
    bars = [axis for axis in figure.axes if axis.get_ylabel().endswith("when covered")]
    assert len(bars) == 1  # one colour bar: the maps share one scale, so that they compare
    ticks = [text.get_text() for text in bars[0].get_yticklabels()]
    assert ticks[0].startswith("-") and ticks[-1].startswith("+")  # signed: which way p moves
    assert "grey 0.25" in figure._supxlabel.get_text().replace("\n", " ")  # the caption under the maps


@pytest.mark.parametrize(
    ("classes", "slanted"),
    [
        (["0", "1"], False),
        (["neg", "pos"], False),
        (["cat", "dog", "ant"], False),
        (["a long class name", "b"], True),
    ],
)
def test_confusion_matrix_names_are_slanted_only_when_long(
    tmp_path: Path, figures: list[Any], classes: list[str], slanted: bool
) -> None:
    import numpy as np

    from trainwell.interpret._plots import plot_confusion_matrix

    matrix = np.arange(len(classes) ** 2).reshape(len(classes), len(classes))
    plot_confusion_matrix(matrix, classes, tmp_path / "cm.png", normalize=False)
    (figure,) = figures
    rotations = {label.get_rotation() for label in figure.axes[0].get_xticklabels()}
    assert rotations == ({45.0} if slanted else {0.0})


def test_calibration_counts_stay_inside_the_frame(tmp_path: Path, figures: list[Any]) -> None:
    import numpy as np

    from trainwell.interpret._plots import plot_calibration

    # "125" at x=0.95 ran past the right edge; "21,202" at (0.01, 0.0) sat on the axes' corner.
    mean = np.array([0.01, 0.5, 0.96])
    frequency = np.array([0.0, 0.5, 1.0])
    plot_calibration(mean, frequency, np.array([21202, 7, 125]), tmp_path / "cal.png", binary=True)
    (figure,) = figures
    notes = {text.get_text(): text for text in figure.axes[0].texts}
    assert notes["21,202"].xyann[1] > 0  # above its point, off the x axis
    assert notes["21,202"].get_horizontalalignment() == "left"  # starting at its point, not left of the axis
    assert notes["125"].get_horizontalalignment() == "right"  # ending at its point, not past the frame
    assert notes["7"].get_horizontalalignment() == "center" and notes["7"].xyann == (0, -12)


def test_report_calibration_text_names_the_multiclass_axes() -> None:
    import numpy as np

    from trainwell.data.task import Task
    from trainwell.report.build import _classification_sections, _interpretation

    rng = np.random.default_rng(0)
    probabilities = torch.softmax(torch.tensor(rng.normal(size=(60, 3)), dtype=torch.float32), dim=1)
    targets = torch.tensor(rng.integers(0, 3, 60))
    task = Task("multiclass", ("a", "b", "c"))
    html = "".join(_classification_sections(_interpretation(task, probabilities, targets)))
    assert "mean confidence of the predicted class" in html and "accuracy" in html
    assert "Predicted probability against observed frequency" not in html
