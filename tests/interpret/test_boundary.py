"""Decision boundaries on 2-D data: the generators' optimal rules, the fitted models, the PNG and the MLP GIF."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trainwell.core.errors import ConfigError, DataError
from trainwell.datasets.generators import (
    GENERATORS,
    GaussianClasses,
    NoisySpirals,
    gaussian_classes,
    generate,
    optimal_decision,
    optimal_margin,
    read_sidecar,
    sidecar_path,
    two_spirals,
    write_csv,
)
from trainwell.interpret.boundary import (
    CLASS_COLORS,
    MODEL_NAMES,
    Points2D,
    check_models,
    fit_boundaries,
    fit_classifier,
    plot_boundaries,
    read_points,
    write_training_gif,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SKLEARN_MODELS = [name for name in MODEL_NAMES if name != "mlp"]


# ------------------------------------------------------------------------------------------ generators
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_reproducible_from_the_seed(name: str) -> None:
    first, again, other = (
        generate(name, 200, seed=3),
        generate(name, 200, seed=3),
        generate(name, 200, seed=4),
    )
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.x, other.x)
    assert first.x.shape == (200, 2) and set(first.y.tolist()) == {0, 1}


def test_gaussian_optimal_rule_is_the_true_log_likelihood_ratio() -> None:
    generator = GaussianClasses()
    points = np.array([[0.3, -0.2], [1.2, 1.0], [-2.0, 3.0]])
    expected = []
    for mean, cov, prior in zip(generator.means, generator.covs, generator.priors, strict=True):
        matrix = np.array(cov)
        centred = points - np.array(mean)
        quad = np.einsum("mi,ij,mj->m", centred, np.linalg.inv(matrix), centred)
        density = np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(matrix)))
        expected.append(np.log(prior * density))
    llr = expected[1] - expected[0]
    np.testing.assert_allclose(optimal_margin(generator, points), llr, atol=1e-9)
    np.testing.assert_array_equal(optimal_decision(generator, points), (llr > 0).astype(int))


def test_spirals_optimal_rule_scores_one_minus_the_label_noise() -> None:
    data = two_spirals(20_000, seed=0, noise=0.1)
    assert abs(float((data.optimal_decision() == data.y).mean()) - 0.9) < 0.01
    clean = two_spirals(2_000, seed=0, noise=0.0)
    np.testing.assert_array_equal(clean.optimal_decision(), clean.y)


def test_write_csv_leaves_a_sidecar_that_rebuilds_the_generator(tmp_path: Path) -> None:
    data = gaussian_classes(50, seed=2, priors=(0.3, 0.7))
    path = write_csv(data, tmp_path / "points.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["x1", "x2", "label"]
    np.testing.assert_allclose(frame[["x1", "x2"]].to_numpy(), data.x)
    description = json.loads(sidecar_path(path).read_text())
    assert description["generator"] == "gaussian" and description["seed"] == 2 and description["n"] == 50
    assert read_sidecar(path) == data.generator
    assert read_sidecar(tmp_path / "other.csv") is None


def test_generator_parameters_are_validated() -> None:
    with pytest.raises(ConfigError, match="positive definite"):
        GaussianClasses(covs=(((1.0, 0.0), (0.0, -1.0)), ((1.0, 0.0), (0.0, 1.0))))
    with pytest.raises(ConfigError, match=r"noise must be in \[0, 0.5\)"):
        NoisySpirals(noise=0.5)
    with pytest.raises(ConfigError, match="known generators: gaussian, spirals"):
        generate("moons", 10)


# ------------------------------------------------------------------------------------------ models
@pytest.mark.slow  # about 4 s: seven scikit-learn models and the MLP on 1,500 points, scored on 20,000
def test_gaussian_optimal_rule_beats_every_fitted_model_and_qda_comes_close() -> None:
    train = gaussian_classes(1_500, seed=0)
    test = gaussian_classes(20_000, seed=1)
    optimal = float((test.optimal_decision() == test.y).mean())
    accuracies = {}
    for name in [*SKLEARN_MODELS, "mlp"]:
        proba = fit_classifier(name, train.x, train.y, 2, seed=0, epochs=4)
        accuracies[name] = float((proba(test.x).argmax(axis=1) == test.y).mean())
    # Bayes-optimal is best in expectation; 20,000 points put the sampling noise near 0.002.
    assert all(accuracy <= optimal + 0.005 for accuracy in accuracies.values()), (optimal, accuracies)
    assert accuracies["qda"] >= optimal - 0.01, (optimal, accuracies)
    assert accuracies["logistic"] < accuracies["qda"]  # the optimal boundary is curved, not a line


def test_png_and_gif_are_written_and_the_mlp_boundary_moves(tmp_path: Path) -> None:
    data = gaussian_classes(240, seed=0)
    result = fit_boundaries(
        Points2D.from_arrays(data.x, data.y),
        ["logistic", "qda", "mlp"],
        optimal=data.generator,
        grid_size=60,
        epochs=4,
        n_frames=8,
    )
    assert [panel.name for panel in result.panels] == ["logistic", "qda", "mlp"]
    assert result.panels[0].probs.shape == (60, 60, 2)
    assert len(result.valid_index) == 60 and result.optimal_accuracy is not None
    assert set(result.accuracies()) == {"logistic", "qda", "mlp", "optimal (gaussian)"}
    assert result.accuracies()["qda"] > 0.7
    first, last = result.frames[0].probs, result.frames[-1].probs
    assert len(result.frames) == 8 and np.abs(first - last).max() > 0.2
    np.testing.assert_allclose(
        last, result.panels[-1].probs, atol=1e-6
    )  # the last frame is the trained model

    png = plot_boundaries(result, tmp_path / "boundary.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 400
    gif = write_training_gif(result, tmp_path / "mlp.gif")
    assert gif.stat().st_size < 2_000_000
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 8
        image.seek(0)
        start = np.asarray(image.convert("RGB"), dtype=np.int16)
        image.seek(image.n_frames - 1)
        end = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert np.abs(start - end).mean() > 1.0


def test_three_classes_colour_by_argmax_and_keep_the_optimal_rule(tmp_path: Path) -> None:
    three = dict(
        means=((0.0, 0.0), (2.5, 0.0), (1.2, 2.2)),
        covs=(((1.0, 0.3), (0.3, 0.5)), ((0.4, 0.0), (0.0, 1.0)), ((0.6, -0.2), (-0.2, 0.6))),
        priors=(0.3, 0.3, 0.4),
    )
    data = gaussian_classes(300, seed=5, **three)
    result = fit_boundaries(
        Points2D.from_arrays(data.x, data.y),
        ["logistic", "knn", "mlp"],
        optimal=data.generator,
        grid_size=50,
        epochs=3,
        n_frames=4,
    )
    for panel in result.panels:
        assert panel.probs.shape == (50, 50, 3)
        np.testing.assert_allclose(panel.probs.sum(axis=-1), 1.0, atol=1e-5)
        assert len(np.unique(panel.probs.argmax(axis=-1))) == 3
    assert result.accuracies()["logistic"] > 0.75
    assert result.optimal_accuracy is not None and result.optimal_accuracy > 0.75
    assert plot_boundaries(result, tmp_path / "three.png").read_bytes()[:8] == PNG_SIGNATURE


def test_text_labels_are_read_from_a_named_target_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2))
    species = np.array(["ant", "bee", "cat"])[np.digitize(x[:, 0], [-0.4, 0.4])]
    frame = pd.DataFrame({"species": species, "width": x[:, 0], "height": x[:, 1]})
    frame.to_csv(tmp_path / "bugs.csv", index=False)
    points = read_points(tmp_path / "bugs.csv", target="species")
    assert points.classes == ("ant", "bee", "cat") and points.feature_names == ("width", "height")
    assert [points.classes[c] for c in points.codes] == species.tolist()
    result = fit_boundaries(points, ["tree"], grid_size=20)
    assert result.panels[0].accuracy > 0.8


def test_the_picture_says_which_colour_is_which_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The panels coloured the regions by class but named no class anywhere; the title said "150 held-out
    # points" above panels drawing every point.
    import trainwell.learner.plots as plots

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    species = np.array(["ant", "bee", "cat"])[np.digitize(x[:, 0], [-0.4, 0.4])]
    pd.DataFrame({"width": x[:, 0], "height": x[:, 1], "species": species}).to_csv(
        tmp_path / "bugs.csv", index=False
    )
    result = fit_boundaries(read_points(tmp_path / "bugs.csv"), ["logistic", "tree"], grid_size=20)
    drawn = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    png = plot_boundaries(result, tmp_path / "bugs.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    (legend,) = drawn[0].legends
    assert [text.get_text() for text in legend.get_texts()] == [
        "species = ant",
        "species = bee",
        "species = cat",
        "training point",
        "held-out point",
    ]
    # No legend title: "species" sat centred under the grid, where an x axis's label goes.
    assert legend.get_title().get_text() == ""
    assert "all 120 points drawn, accuracy on the 30 held out" in drawn[0]._suptitle.get_text()


# ------------------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize(
    ("columns", "target", "message"),
    [
        (
            {"a": [1.0, 2, 3, 4], "b": [1.0, 2, 3, 4], "c": [0, 1, 2, 3], "y": [0, 1, 0, 1]},
            None,
            "3 feature columns",
        ),
        ({"a": [1.0, 2, 3, 4], "y": [0, 1, 0, 1]}, None, r"1 feature columns besides target 'y' \(a\)"),
        ({"a": [1.0, 2, 3, 4], "b": ["p", "q", "r", "s"], "y": [0, 1, 0, 1]}, None, "'b' .* is not numeric"),
        ({"a": [1.0, 2, 3, 4], "b": [1.0, 2, 3, 4], "y": [1, 1, 1, 1]}, None, "single class"),
        ({"a": [1.0, 2, 3, 4], "b": [1.0, 2, 3, 4], "y": [0, 1, 0, 1]}, "z", "'z' not found .* a, b, y"),
        ({"a": [1.0, None, 3, 4], "b": [1.0, 2, 3, 4], "y": [0, 1, 0, 1]}, None, "'a' .* missing values"),
    ],
)
def test_bad_tables_raise_one_clear_line(
    tmp_path: Path, columns: dict[str, list[object]], target: str | None, message: str
) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    with pytest.raises(DataError, match=message) as caught:
        read_points(path, target)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_file_and_unknown_models_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothere.csv not found"):
        read_points(tmp_path / "nothere.csv")
    with pytest.raises(ConfigError, match=r"unknown model.* svn; known models: logistic, qda, knn"):
        check_models(["logistic", "svn"])


def test_the_optimal_rule_refuses_labels_its_generator_did_not_make() -> None:
    data = two_spirals(40, seed=0)
    points = Points2D.from_arrays(data.x, np.where(data.y == 1, "in", "out"))
    with pytest.raises(DataError, match="pass --optimal none"):
        fit_boundaries(points, ["logistic"], optimal=data.generator, grid_size=20)


def test_the_gif_says_which_colour_is_which_class_and_what_the_lines_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The GIF, often shown alone, named no class and did not say that the dashed line is the optimal rule; and
    # its 64 colours, fitted to the washed regions, drew the class dots in other shades.
    import trainwell.learner.plots as plots

    figures: list = []  # type: ignore[type-arg]
    real = plots._pyplot

    class Keeping:
        def __getattr__(self, name: str) -> object:
            return getattr(real(), name)

        def figure(self, *args: object, **kwargs: object) -> object:
            figure = real().figure(*args, **kwargs)
            figures.append(figure)
            return figure

        def close(self, figure: object) -> None:
            pass

    monkeypatch.setattr(plots, "_pyplot", Keeping)
    data = gaussian_classes(240, seed=0)
    points = Points2D.from_arrays(data.x, data.y)
    result = fit_boundaries(points, ["mlp"], optimal=data.generator, grid_size=30, epochs=2, n_frames=3)
    gif = write_training_gif(result, tmp_path / "mlp.gif")
    (legend,) = figures[0].legends
    assert [text.get_text() for text in legend.get_texts()] == [
        "label = 0",
        "label = 1",
        "held out",
        "mlp boundary",
        "optimal (gaussian)",
    ]
    assert legend.get_title().get_text() == ""
    # The GIF names its axes and has the colour bar of the probability the PNG has (it had neither), and is
    # large enough to read at 100% (it was 320x350 pixels, with 7-point text at 80 dpi).
    (panel,) = [axis for axis in figures[0].axes if axis.get_title().startswith("mlp, epoch")]
    assert (panel.get_xlabel(), panel.get_ylabel()) == ("x1", "x2")
    assert [axis.get_ylabel() for axis in figures[0].axes if "shading" in axis.get_ylabel()] == [
        "shading: predicted P(label = 1)"
    ]
    with Image.open(gif) as image:
        assert image.width >= 600 and image.height >= 560
        palette = np.array(image.getpalette()[:192]).reshape(-1, 3)
    for color in CLASS_COLORS[:2]:
        assert (np.abs(palette - np.round(255 * color)).max(axis=1) == 0).any()
