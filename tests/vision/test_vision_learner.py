"""vision_learner, fine-tuning from weights, the predictor and the command line, on real image files."""

from __future__ import annotations

import importlib.util
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import trainwell
from image_files import exported_predictions_match, make_image_folder
from process_support import run_trainwell
from trainwell.core.errors import ConfigError
from trainwell.vision import image_data, vision_learner
from trainwell.vision.augment import Augmentation
from trainwell.vision.transform import AugmentBatch


def _trained(folder: Path, epochs: int = 4, **kwargs: object) -> trainwell.Learner:
    torch.manual_seed(0)
    data = image_data(folder, seed=0, **kwargs)  # type: ignore[arg-type]
    learn = vision_learner(data, progress=False)
    learn.fit_one_cycle(epochs, 5e-3)
    return learn


def test_a_small_cnn_learns_the_shapes(split_folder: Path) -> None:
    learn = _trained(split_folder)
    assert learn.model_spec is not None and learn.model_spec["config"]["arch"] == "simple_cnn"
    assert learn.history[-1]["accuracy"] >= 0.9


def test_augmentation_runs_on_training_batches_only(image_folder: Path) -> None:
    data = image_data(image_folder)
    learn = vision_learner(data, progress=False)
    seen: dict[bool, torch.dtype] = {}

    class Spy(trainwell.Callback):
        order = 0

        def before_batch(self, learn: trainwell.Learner) -> None:
            seen[learn.training] = learn.xb[0].dtype

    learn.fit(1, callbacks=[Spy()])
    assert seen == {True: torch.float32, False: torch.uint8}
    assert any(isinstance(cb, AugmentBatch) for cb in learn.callbacks)


def test_each_torchrun_process_draws_its_own_augmentations(
    image_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every process seeded its draws with (seed, batch) alone, so row j of each process's shard got the same
    # crop, flip and colour, though docs/training-loop.md says augmentations differ between processes.
    from types import SimpleNamespace

    import torch.distributed as dist

    images = image_data(image_folder).train.tensors[0][:8]  # type: ignore[attr-defined]
    augment = AugmentBatch(Augmentation.default(24), seed=3)

    def augmented(rank: int | None) -> torch.Tensor:
        if rank is not None:
            monkeypatch.setattr(dist, "is_initialized", lambda: True)
            monkeypatch.setattr(dist, "get_rank", lambda group=None: rank)
        learn = SimpleNamespace(training=True, xb=(images,), iteration=5, epoch=0)
        augment.before_batch(learn)  # type: ignore[arg-type]
        return learn.xb[0]

    alone = augmented(None)
    assert torch.equal(augmented(0), alone)  # rank 0 draws as one process does
    assert not torch.allclose(augmented(1), alone, atol=0.05)
    assert torch.equal(augmented(1), augmented(1))  # and each rank the same again on a resume


def test_alternating_flips_mirror_each_image_in_every_other_epoch(image_folder: Path) -> None:
    data = image_data(image_folder, augmentation=Augmentation(flip="alternate"), batch_size=16)
    learn = vision_learner(data, progress=False)
    mirrored_by_image: dict[bytes, list[bool]] = {}
    raw: list[torch.Tensor] = []

    class Before(trainwell.Callback):
        order = -10  # before AugmentBatch (-5)

        def before_batch(self, learn: trainwell.Learner) -> None:
            raw[:] = [learn.xb[0]] if learn.training else []

    class After(trainwell.Callback):
        def before_batch(self, learn: trainwell.Learner) -> None:
            for image, seen in zip(raw[0] if raw else [], learn.xb[0], strict=False):
                plain = image.float() / 255
                mirrored = torch.allclose(seen, plain.flip(-1), atol=1e-5)
                assert mirrored or torch.allclose(seen, plain, atol=1e-5)
                mirrored_by_image.setdefault(image.numpy().tobytes(), []).append(mirrored)

    learn.fit(3, callbacks=[Before(), After()])
    assert len(mirrored_by_image) >= 40
    for history in mirrored_by_image.values():
        assert history[0] != history[1] and history[0] == history[2]


def test_export_load_predict_matches_the_learner(split_folder: Path, tmp_path: Path) -> None:
    learn = _trained(split_folder, epochs=2)
    predictor, table = exported_predictions_match(learn, split_folder, tmp_path / "model")
    files = sorted((split_folder / "valid").rglob("*.png"))
    with_tta = predictor.predict(files, tta=True)
    assert (with_tta["prediction"] == table["prediction"]).mean() >= 0.8
    # Encoded bytes, Pillow images and arrays all work.
    raw = files[0].read_bytes()
    assert predictor.predict([raw])["prediction"][0] == table["prediction"][0]
    with Image.open(files[0]) as image:
        assert predictor.predict([image.copy()])["prediction"][0] == table["prediction"][0]


def test_one_image_on_its_own_is_predicted_as_a_batch_of_one(split_folder: Path, tmp_path: Path) -> None:
    # A path string was read as a sequence of characters ("'/' does not exist"), a Pillow image was "not
    # iterable" and an (H, W, C) array was read as H images of W x C pixels.
    learn = _trained(split_folder, epochs=1)
    learn.export(tmp_path / "model")
    predictor = trainwell.load(tmp_path / "model")
    file = sorted((split_folder / "valid").rglob("*.png"))[0]
    expected = predictor.predict_proba([file])
    with Image.open(file) as image:
        pillow = image.copy()
    array = torch.from_numpy(np.asarray(pillow).copy())  # (H, W, C)
    singles = [str(file), file, file.read_bytes(), pillow, array.numpy(), array, array.permute(2, 0, 1)]
    for single in singles:
        assert torch.allclose(predictor.predict_proba(single), expected), type(single)
    assert len(predictor.predict(str(file))) == 1


def test_a_column_of_paths_is_predicted_row_by_row_under_its_index(split_folder: Path) -> None:
    # predict(table["path"]) (a test CSV's column) and an array of path strings were read as pixel arrays:
    # "images must have shape (N, H, W), (N, H, W, C) or (N, C, H, W); got (3,)".
    learn = _trained(split_folder, epochs=1)
    predictor = learn.predictor()
    files = sorted((split_folder / "valid").rglob("*.png"))[:3]
    expected = predictor.predict_proba(files)
    column = pd.Series([str(f) for f in files], index=[10, 11, 12], name="path")
    for paths in (column, column.to_numpy(), np.array([str(f) for f in files])):
        assert torch.allclose(predictor.predict_proba(paths), expected), type(paths)
    assert learn.predict(column).index.tolist() == [
        10,
        11,
        12,
    ]  # a Series keeps its rows' labels, as for texts


def test_a_batch_array_of_another_size_is_resized_as_in_training(tmp_path: Path) -> None:
    # image_data(digits, size=32) resized 28-pixel arrays, but predict refused the same batch at 28 pixels.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (60, 28, 28), dtype=np.uint8)
    labels = (images[:, :, :14].mean((1, 2)) > images[:, :, 14:].mean((1, 2))).astype(int)
    data = image_data(images[:40], labels=labels[:40], valid=(images[40:], labels[40:]), size=32)
    learn = vision_learner(data, progress=False)
    learn.fit(1, 1e-3)
    learn.export(tmp_path / "model")
    predictor = trainwell.load(tmp_path / "model")
    assert torch.equal(predictor.pixels(images[40:]), data.valid.tensors[0])  # type: ignore[union-attr]
    expected, _ = learn.get_preds(data.valid)
    assert torch.allclose(predictor.predict_proba(images[40:]).reshape(-1), expected.reshape(-1), atol=1e-5)
    assert torch.allclose(predictor.predict_proba(images[40]), expected[:1].reshape(1, -1), atol=1e-5)


def test_undecodable_image_is_a_clear_error(split_folder: Path, tmp_path: Path) -> None:
    learn = _trained(split_folder, epochs=1)
    learn.export(tmp_path / "model")
    predictor = trainwell.load(tmp_path / "model")
    with pytest.raises(trainwell.DataError, match="could not be decoded"):
        predictor.predict([b"not an image"])


def test_fine_tune_from_an_artifact_with_a_different_head(tmp_path: Path) -> None:
    source = make_image_folder(tmp_path / "pre", ("horizontal", "vertical", "square"), per_class=12)
    pre = _trained(source, epochs=1)
    pre.export(tmp_path / "pretrained")
    target = make_image_folder(tmp_path / "target", ("horizontal", "vertical"), per_class=12, seed=5)
    data = image_data(target)
    learn = vision_learner(data, pretrained=tmp_path / "pretrained", progress=False)
    body_key = next(k for k in learn.model.state_dict() if k.startswith("net.body") and k.endswith("weight"))
    assert torch.equal(learn.model.state_dict()[body_key], pre.model.state_dict()[body_key])
    learn.fine_tune(1, 3e-3, freeze_epochs=1)
    assert len(learn.history) == 2
    scratch = vision_learner(data, progress=False)  # no pretrained=: the frozen epoch only delays training
    with pytest.warns(UserWarning, match="this model starts from random weights"):
        scratch.fine_tune(1, 3e-3)


def test_fine_tune_normalises_as_the_pretrained_model_did(tmp_path: Path) -> None:
    # A fine-tune normalised its inputs with the new images' mean and std, so the pretrained first layers saw
    # shifted inputs. It now keeps the pretrained model's statistics, in the model, its config and the recipe
    # that the artifact, the predictor, serve and ONNX read; from Python and from the command line.
    import json

    from typer.testing import CliRunner

    from trainwell.cli.app import app

    source = make_image_folder(tmp_path / "pre", ("horizontal", "vertical", "square"), per_class=12)
    pre = _trained(source, epochs=1)
    pre.export(tmp_path / "pretrained")
    pre_mean, pre_std = pre.data.recipe.mean, pre.data.recipe.std  # type: ignore[union-attr]
    target_folder = make_image_folder(tmp_path / "target", ("horizontal", "vertical"), per_class=12, seed=5)
    data = image_data(target_folder)
    assert data.recipe.mean != pre_mean  # type: ignore[union-attr]
    own_mean = data.recipe.mean  # type: ignore[union-attr]
    learn = vision_learner(data, pretrained=tmp_path / "pretrained", progress=False)
    assert torch.equal(learn.model.mean, pre.model.mean) and torch.equal(learn.model.std, pre.model.std)
    assert learn.data.recipe.mean == pre_mean and learn.data.recipe.std == pre_std  # type: ignore[union-attr]
    assert "the pretrained model" in learn.data.recipe.extra["normalisation"]  # type: ignore[union-attr]
    assert learn.model_spec["config"]["mean"] == list(pre_mean)
    assert data.recipe.mean == own_mean  # type: ignore[union-attr]  # the caller's bundle is left as it was
    learn.fit(1)
    learn.export(tmp_path / "tuned")
    metadata = json.loads((tmp_path / "tuned" / "trainwell.json").read_text())
    assert metadata["recipe"]["mean"] == list(pre_mean) and metadata["architecture"]["config"]["std"] == list(
        pre_std
    )
    predictor = trainwell.load(tmp_path / "tuned")
    assert torch.equal(predictor.model.mean, pre.model.mean)  # type: ignore[attr-defined]
    expected, _ = learn.get_preds(learn.data.valid)
    images = torch.cat([batch[0] for batch in learn.data.valid])  # type: ignore[union-attr]
    assert torch.allclose(predictor.predict_proba(images).reshape(-1), expected.reshape(-1), atol=1e-5)

    args = ["fit", str(target_folder), "--pretrained", str(tmp_path / "pretrained"), "--epochs", "1"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "cli" / "trainwell.json").read_text())["recipe"]["mean"] == list(pre_mean)
    shown = CliRunner().invoke(app, ["info", str(tmp_path / "cli")], env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "normalised" in shown.output and "from the pretrained model" in shown.output, shown.output
    own = CliRunner().invoke(app, ["info", str(tmp_path / "pretrained")], env={"COLUMNS": "300"})
    assert "measured on the training images" in own.output, own.output


def test_fine_tune_from_bare_weights_keeps_the_data_statistics(tmp_path: Path, image_folder: Path) -> None:
    # A bare network's state dict says nothing of how its inputs were normalised: the data's own are used.
    data = image_data(image_folder)
    first = vision_learner(data, progress=False)
    save_file(
        {k: v.contiguous() for k, v in first.model.net.state_dict().items()}, str(tmp_path / "w.safetensors")
    )
    learn = vision_learner(data, pretrained=tmp_path / "w.safetensors", progress=False)
    assert learn.data.recipe.mean == data.recipe.mean  # type: ignore[union-attr]
    assert "normalisation" not in learn.data.recipe.extra  # type: ignore[union-attr]


def test_library_statistics_and_other_channel_counts() -> None:
    from trainwell.vision.normalisation import IMAGENET_MEAN, IMAGENET_STD, Normalisation, from_library

    imagenet = from_library("torchvision", None)
    assert (imagenet.mean, imagenet.std) == (IMAGENET_MEAN, IMAGENET_STD)
    grey = imagenet.for_channels(1)
    assert grey.mean == (round(sum(IMAGENET_MEAN) / 3, 5),) and grey.std == (round(sum(IMAGENET_STD) / 3, 5),)
    assert Normalisation((0.3,), (0.2,), "grey").for_channels(3).mean == (0.3, 0.3, 0.3)
    if importlib.util.find_spec("timm") is not None:
        import timm

        network = timm.create_model("resnet18", pretrained=False)
        timm_stats = from_library("timm", network)
        assert timm_stats.mean == tuple(network.pretrained_cfg["mean"])


def test_fine_tune_from_a_model_directory_keeps_its_architecture_at_another_size(tmp_path: Path) -> None:
    # Pretrained on 40-pixel images (auto: xresnet18), fine-tuned on 24-pixel ones (auto alone would pick the
    # small CNN): the directory's architecture is the one built. Before, the body's shapes failed to match
    # and the error told the user to pass "the same --arch" they had never passed.
    source = make_image_folder(tmp_path / "pre", per_class=6, size=40)
    pre = vision_learner(image_data(source, augmentation="none"), progress=False)
    assert pre.model_spec["config"]["arch"] == "xresnet18"
    pre.export(tmp_path / "pretrained")
    target = image_data(make_image_folder(tmp_path / "small", per_class=6, size=24, seed=3))
    learn = vision_learner(target, pretrained=tmp_path / "pretrained", progress=False)
    assert learn.model_spec["config"]["arch"] == "xresnet18"
    assert learn.model_spec["config"]["arch_config"]["small_input"] is True  # from these images, not the old
    body_key = next(k for k in learn.model.state_dict() if k.startswith("net.body") and k.endswith("weight"))
    assert torch.equal(learn.model.state_dict()[body_key], pre.model.state_dict()[body_key])
    with pytest.raises(ConfigError, match=r"is a xresnet18 model and --arch \(arch=\) asks for simple_cnn"):
        vision_learner(target, arch="simple_cnn", pretrained=tmp_path / "pretrained", progress=False)
    from trainwell.text import text_classifier_learner, text_data

    texts = pd.DataFrame({"text": ["good film", "bad film"] * 10, "label": ["pos", "neg"] * 10})
    text_classifier_learner(text_data(texts, "label", text_col="text"), progress=False).export(
        tmp_path / "text"
    )
    with pytest.raises(ConfigError, match=r"holds a text model, not an image model"):
        vision_learner(target, pretrained=tmp_path / "text", progress=False)


def test_fine_tune_from_weights_trained_on_another_number_of_channels(tmp_path: Path) -> None:
    # A grayscale model as the start for colour images (and back) failed on the first convolution's shape; its
    # kernels are now adapted, with a warning, from Python and from the command line.
    from typer.testing import CliRunner

    from trainwell.cli.app import app
    from trainwell.vision.models import adapt_input_conv

    gray_folder = make_image_folder(tmp_path / "gray", per_class=8, mode="L")
    gray = _trained(gray_folder, epochs=1)
    assert gray.data.recipe.channels == 1  # type: ignore[union-attr]
    gray.export(tmp_path / "gray_model")
    colour_folder = make_image_folder(tmp_path / "colour", per_class=8, seed=3)
    adapted = r"weights read grayscale images and these are colour: their first convolution .* was adapted"
    with pytest.warns(UserWarning, match=adapted):
        learn = vision_learner(image_data(colour_folder), pretrained=tmp_path / "gray_model", progress=False)
    stem = "net.body.0.0.0.weight"
    expected = adapt_input_conv(gray.model.state_dict()[stem], 3)
    assert torch.allclose(learn.model.state_dict()[stem], expected)
    args = ["fit", str(colour_folder), "--pretrained", str(tmp_path / "gray_model"), "--epochs", "1"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "colour_model")])
    assert result.exit_code == 0, result.output
    assert "first convolution ('body.0.0.0.weight') was adapted (repeated and scaled)" in result.output
    with pytest.warns(
        UserWarning, match=r"weights read colour images and these are grayscale: .*\(summed over"
    ):
        back = vision_learner(image_data(gray_folder), pretrained=tmp_path / "colour_model", progress=False)
    back.fit(1)
    assert back.history[-1]["train_loss"] > 0


def test_weights_from_a_safetensors_file_and_a_mismatched_body(tmp_path: Path, image_folder: Path) -> None:
    data = image_data(image_folder)
    first = vision_learner(data, progress=False)
    save_file(
        {k: v.contiguous() for k, v in first.model.net.state_dict().items()}, str(tmp_path / "w.safetensors")
    )
    second = vision_learner(data, pretrained=tmp_path / "w.safetensors", progress=False)
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key])
    with pytest.raises(ConfigError):
        vision_learner(data, arch="xresnet18", pretrained=tmp_path / "w.safetensors", progress=False)
    with pytest.raises(ConfigError, match="do not exist"):
        vision_learner(data, pretrained=tmp_path / "missing.safetensors", progress=False)


def test_unknown_and_optional_architectures_are_clear_errors(image_folder: Path) -> None:
    data = image_data(image_folder)
    with pytest.raises(ConfigError, match="unknown architecture 'resnet999'"):
        vision_learner(data, arch="resnet999", progress=False)
    for arch in ("timm:resnet50", "torchvision:resnet18"):
        if importlib.util.find_spec(arch.partition(":")[0]) is not None:
            continue  # installed: tests/vision/test_external_models.py uses it
        with pytest.raises(ConfigError, match=r"optional package .*pip install 'trainwell\[vision\]'"):
            vision_learner(data, arch=arch, progress=False)
    with pytest.raises(ConfigError, match="names no model"):
        vision_learner(data, arch="timm:", progress=False)
    with pytest.raises(ConfigError, match="hub"):
        vision_learner(data, pretrained="hub", progress=False)


@pytest.mark.parametrize("smoothing", [1.5, 1.0, -0.2, True, "0.1"])
def test_label_smoothing_outside_zero_to_one_is_refused_before_training(
    image_folder: Path, smoothing: object
) -> None:
    # A binary fit trained silently on targets outside 0..1 (or, at True, on 0.5 for every image); multiclass
    # failed only at the first batch.
    with pytest.raises(ConfigError, match=f"label_smoothing must be a number from 0 .* got {smoothing!r}"):
        vision_learner(image_data(image_folder), label_smoothing=smoothing, progress=False)  # type: ignore[arg-type]


def test_show_results_and_tta(split_folder: Path, tmp_path: Path) -> None:
    learn = _trained(split_folder, epochs=1)
    path = learn.show_results(tmp_path / "results.png", n=8)  # type: ignore[attr-defined]
    with Image.open(path) as image:
        assert image.format == "PNG"
    probabilities, targets = learn.tta()  # type: ignore[attr-defined]
    assert probabilities.shape == (20,) and targets.shape == (20,)


def test_show_results_says_which_images_it_shows_and_takes_a_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a validation set it drew training images under the title "validation: true / predicted", and
    # it could show no other set (fastai's show_results takes one).
    from trainwell.vision import plots

    root = make_image_folder(tmp_path / "split" / "train", per_class=10)
    make_image_folder(tmp_path / "split" / "test", per_class=3, seed=2)
    shown: list[tuple[str, int]] = []
    grid = plots.image_grid

    def spy(images: torch.Tensor, titles: list[str], colours: list[str], path: Path, title: str) -> Path:
        shown.append((title.split(":")[0], len(images)))
        return grid(images, titles, colours, path, title)

    monkeypatch.setattr(plots, "image_grid", spy)
    data = image_data(tmp_path / "split", valid_pct=0.25)
    learn = vision_learner(data, progress=False)
    learn.show_results(tmp_path / "valid.png", n=4)
    learn.show_results(tmp_path / "test.png", n=4, loader=data.test)
    with pytest.raises(ConfigError, match=r"learn.show_results\(None\)"):
        learn.show_results(tmp_path / "none.png", loader=None)
    learn = vision_learner(image_data(root, valid_pct=0), progress=False)
    learn.show_results(tmp_path / "train.png", n=4)
    assert shown == [
        ("validation", 4),
        ("test", 4),
        ("training (there is no validation set)", 4),
    ]


def test_show_results_wraps_long_multi_label_titles(
    image_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several labels per image made "animal;blurry;cat / animal;blurry;cat;dog;ship" one line under a
    # 160-pixel image: the titles ran into each other and none could be read.
    from matplotlib.axes import Axes

    from trainwell.learner.plots import TITLE_CHARS, _wrapped

    rows = [
        (str(path.relative_to(image_folder)), f"{path.parent.name};long_label_one;long_label_two")
        for path in sorted(image_folder.rglob("*.png"))
    ]
    pd.DataFrame(rows, columns=["path", "tags"]).to_csv(image_folder / "tags.csv", index=False)
    data = image_data(image_folder / "tags.csv", path_col="path", label_col="tags", label_delim=";")
    learn = vision_learner(data, progress=False)
    drawn: list[str] = []
    set_title = Axes.set_title

    def spy(self: Axes, label: str, *args: object, **kwargs: object) -> object:
        drawn.append(label)
        return set_title(self, label, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Axes, "set_title", spy)
    out = learn.show_results(tmp_path / "results.png", n=6)  # type: ignore[attr-defined]
    with Image.open(out) as image:
        assert image.format == "PNG"
    assert len(drawn) == 6 and all(title.count("\n") >= 2 for title in drawn)
    assert all(len(line) <= TITLE_CHARS for title in drawn for line in title.splitlines())
    assert _wrapped("cat / dog") == "cat / dog"  # short titles stay on one line


@pytest.mark.slow
def test_command_line_fit_and_predict_on_a_folder(split_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    fit = run_trainwell("fit", split_folder, "--out", out, "--epochs", "2")
    assert fit.returncode == 0, fit.stderr
    assert (out / "model.safetensors").is_file() and (out / "curves.png").is_file()
    predict = run_trainwell("predict", out, split_folder / "valid" / "vertical", "--tta", timeout=60)
    assert predict.returncode == 0, predict.stderr
    table = pd.read_csv(StringIO(predict.stdout))
    assert len(table) == 10 and list(table.columns)[:2] == ["path", "prediction"]
    # The answers differ from a plain predict's: the command says what it averaged.
    assert (
        "--tta: each image's probabilities blend its plain view (half) with 4 views augmented"
        in predict.stderr
    )
    wrong = run_trainwell("fit", split_folder, "--target", "y", timeout=60)
    assert wrong.returncode == 2 and "--target is for tables" in wrong.stderr


def test_command_line_predict_skips_an_unreadable_file_of_a_folder_by_name(
    image_folder: Path, tmp_path: Path
) -> None:
    # fit skips a corrupt file of the tree with a warning; predict on the same folder stopped outright.
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    model = _trained(image_folder, epochs=1).export(tmp_path / "model")
    folder = image_folder / "vertical"
    (folder / "broken.png").write_bytes(b"not an image")
    runner = CliRunner()
    result = runner.invoke(app, ["predict", str(model), str(folder)])
    assert result.exit_code == 0, result.output
    assert "skipped 1 unreadable image file(s) of 31:" in result.output and "broken.png" in result.output
    table = pd.read_csv(StringIO(result.output[result.output.index("path,") :]))
    # The skipped file keeps its row, its prediction empty and the reason beside it: the output joins back
    broken = table[table.path.str.contains("broken")]
    assert len(table) == 31 and len(broken) == 1 and broken.prediction.isna().all()
    assert broken.error.str.contains("UnidentifiedImageError").all() and table.error.isna().sum() == 30
    # Named on the command line beside a folder, it is skipped alike (it stopped the whole run, writing nothing);
    # named alone, it stops with its name.
    named = runner.invoke(app, ["predict", str(model), str(folder / "broken.png"), str(image_folder)])
    assert (
        named.exit_code == 0 and "skipped 2 unreadable image file(s) of 62" in named.output
    )  # also in the folder
    alone = runner.invoke(app, ["predict", str(model), str(folder / "broken.png")])
    assert alone.exit_code == 2 and "broken.png' could not be decoded as an image" in alone.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "a.jpg").write_bytes(b"\xff\xd8 truncated")
    none = runner.invoke(app, ["predict", str(model), str(only_bad)])
    assert none.exit_code == 2 and "none of the 1 images could be decoded, e.g. " in none.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--text", "caption"), "--text is for texts, not images"),
        (("--task", "language_model"), "--task language_model is for text corpora (.txt files), not images"),
        (("--task", "tagging"), "--task tagging is for tagged sentences (CoNLL files), not images"),
        (
            ("--user", "u", "--item", "i", "--cat-names", "a"),
            "--user, --item, --cat-names are for ratings and tables, not images",
        ),
        (("--valid-col", "is_valid"), "--valid-col is for tables, texts and ratings, not images"),
    ],
)
def test_options_images_never_read_are_refused_not_ignored(
    image_folder: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["fit", str(image_folder), *args, "--out", str(out), "--epochs", "1"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"{message} ('{image_folder}' was read as a folder of class folders of images): drop" in said
    assert said.count("error:") == 1 and not out.exists()


def test_progressive_resize_grows_the_training_images(image_folder: Path) -> None:
    from trainwell.vision.transform import ProgressiveResize

    data = image_data(image_folder, size=32)
    learn = vision_learner(data, progress=False)
    sizes: dict[bool, set[int]] = {True: set(), False: set()}

    class Spy(trainwell.Callback):
        order = 0

        def before_batch(self, learn: trainwell.Learner) -> None:
            sizes[learn.training].add(int(learn.xb[0].shape[-1]))

    resize = ProgressiveResize(start=0.5, until=0.5, multiple=8)
    learn.fit_one_cycle(4, 3e-3, callbacks=[resize, Spy()])
    assert min(sizes[True]) == 16 and max(sizes[True]) == 32
    assert sizes[False] == {32}  # validation at the full size
    assert learn.get_callback(AugmentBatch).size is None  # type: ignore[union-attr]


def test_new_data_set_on_the_learner_is_augmented_with_its_own_pipeline(image_folder: Path) -> None:
    # Progressive resizing the fastai way (learn.data = bigger data, fit again) trained on the first data's
    # crop size all along: the augmentation callback kept the pipeline of the data the learner was built on,
    # while validation and TTA read the new data's.
    learn = vision_learner(image_data(image_folder, size=16), progress=False)
    sizes: dict[bool, set[int]] = {True: set(), False: set()}

    class Spy(trainwell.Callback):
        order = 0

        def before_batch(self, learn: trainwell.Learner) -> None:
            sizes[learn.training].add(int(learn.xb[0].shape[-1]))

    learn.fit(1, callbacks=[Spy()])
    assert sizes == {True: {16}, False: {16}}
    sizes = {True: set(), False: set()}
    learn.data = image_data(image_folder, like=learn.data, size=24)  # the model's normalisation: no warning
    learn.fit(1, callbacks=[Spy()])
    assert sizes == {True: {24}, False: {24}}
    learn.data = image_data(image_folder, like=learn.data, size=24, augmentation="none")
    seen: list[torch.Tensor] = []

    class Pixels(trainwell.Callback):
        def before_batch(self, learn: trainwell.Learner) -> None:
            if learn.training:
                seen.append(learn.xb[0].clone())

    learn.fit(1, callbacks=[Pixels()])
    images = learn.data.train.tensors[0].float() / 255  # type: ignore[attr-defined]
    assert all(any(torch.equal(row, image) for image in images) for row in seen[0][:4])  # not augmented


def test_progressive_resize_keeps_the_shape_of_images_that_are_not_square(image_folder: Path) -> None:
    # It used to grow a square of the longer side: 16x32 images trained as 32x32 squares (stretched) at the end.
    from trainwell.vision.transform import ProgressiveResize

    data = image_data(image_folder, size=(16, 32), augmentation="none")
    learn = vision_learner(data, progress=False)
    shapes: list[tuple[int, int]] = []

    class Spy(trainwell.Callback):
        order = 0

        def before_batch(self, learn: trainwell.Learner) -> None:
            if learn.training:
                shapes.append((int(learn.xb[0].shape[-2]), int(learn.xb[0].shape[-1])))

    learn.fit(2, 1e-3, callbacks=[ProgressiveResize(start=0.5, until=0.5, multiple=8), Spy()])
    assert shapes[0] == (8, 16) and shapes[-1] == (16, 32)
    assert all(height < width for height, width in shapes)


def test_mixed_precision_is_opt_in_on_the_cpu(image_folder: Path) -> None:
    from trainwell.callbacks import MixedPrecision

    data = image_data(image_folder)
    assert vision_learner(data, progress=False).get_callback(MixedPrecision) is None
    learn = vision_learner(data, mixed_precision=True, progress=False)
    assert isinstance(learn.get_callback(MixedPrecision), MixedPrecision)
    learn.fit(1)
    assert learn.history[-1]["train_loss"] > 0


def test_a_compiled_model_trains_and_exports_the_original_weights(split_folder: Path, tmp_path: Path) -> None:
    data = image_data(split_folder)
    learn = vision_learner(
        data, compile="eager", progress=False
    )  # the real torch.compile, no code generation
    learn.fit(1, 1e-3)
    learn.export(tmp_path / "model")
    predictor = trainwell.load(tmp_path / "model")
    files = data.paths["valid"]  # the validation images' order (fair, not sorted), which get_preds keeps
    expected, _ = learn.get_preds()
    got = torch.tensor(predictor.predict(files)["probability_vertical"].to_numpy())
    assert torch.allclose(got, expected.reshape(-1), atol=1e-5)


def test_fit_on_a_csv_of_image_paths_without_path_col_names_the_options(image_folder: Path) -> None:
    # Without --path-col a CSV of image paths is a table, and the error asked for --target, which would
    # train a table model on file names.
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    rows = [(str(p.relative_to(image_folder)), p.parent.name) for p in sorted(image_folder.rglob("*.png"))]
    pd.DataFrame(rows, columns=["file", "kind"]).to_csv(image_folder / "list.csv", index=False)
    result = CliRunner().invoke(
        app, ["fit", str(image_folder / "list.csv"), "--out", str(image_folder / "m")]
    )
    assert result.exit_code == 2
    assert (
        "column 'file' lists image files: to train on the images pass --path-col file --label-col kind"
        in (" ".join(result.output.split()))
    )
    assert not (image_folder / "m").exists()


def test_architectures_that_do_not_fit_the_vision_contract_are_refused_by_name(image_folder: Path) -> None:
    # A registered tabular network, or an image one without in_channels, failed with a bare TypeError.
    from torch import nn

    from trainwell.models import models, register_model

    def no_channels(n_out: int) -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.LazyLinear(n_out))

    def any_settings(**config: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(config["in_channels"], 4, 3),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, config["n_out"]),
        )

    register_model("test_no_channels", application="vision")(no_channels)
    register_model("test_any_settings", application="vision")(any_settings)
    data = image_data(image_folder)
    try:
        with pytest.raises(
            ConfigError, match=r"'tabular_mlp' is a tabular architecture; choose one of: .*simple_cnn"
        ):
            vision_learner(data, arch="tabular_mlp", progress=False)
        with pytest.raises(ConfigError, match="'test_no_channels' does not take in_channels"):
            vision_learner(data, arch="test_no_channels", progress=False)
        learn = vision_learner(data, arch="test_any_settings", progress=False)
        assert learn.model(torch.zeros(2, 3, 24, 24, dtype=torch.uint8)).shape == (2, data.task.n_outputs)
    finally:
        for name in ("test_no_channels", "test_any_settings"):
            models._entries.pop(name, None)


def test_freezing_a_network_of_one_layer_group_names_the_network(image_folder: Path) -> None:
    # The message named ImageClassifier (the wrapper, which has layer_groups) rather than the user's network.
    from torch import nn

    from trainwell.models import models, register_model

    def one_group(n_out: int, in_channels: int = 3) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(in_channels, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, n_out)
        )

    register_model("test_one_group", application="vision")(one_group)
    try:
        learn = vision_learner(image_data(image_folder), arch="test_one_group", progress=False)
        with (
            pytest.warns(UserWarning, match="starts from random weights"),
            pytest.raises(ConfigError, match="cannot freeze the 'test_one_group' network") as caught,
        ):
            learn.fine_tune(1)
        assert "ImageClassifier" not in str(caught.value)
        assert learn.history == []
    finally:
        models._entries.pop("test_one_group", None)
