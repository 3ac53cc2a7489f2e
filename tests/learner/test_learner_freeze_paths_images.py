"""``freeze_to`` counts as a list index does; relative checkpoint names resolve under ``learn.path`` both ways;
a plain Learner given image data says what builds a learner for it."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from trainwell.callbacks import Checkpoint
from trainwell.core.errors import ArtifactError, ConfigError
from trainwell.core.seeding import seed_everything
from trainwell.data import tensor_data
from trainwell.data.bundle import DataBundle
from trainwell.learner import Learner
from trainwell.vision import image_data


def _data() -> DataBundle:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    return tensor_data(x, x @ torch.tensor([1.0, -2.0, 0.5, 0.3]), valid_pct=0.25, batch_size=16, seed=0)


class ThreeGroups(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c(torch.relu(self.b(torch.relu(self.a(x)))))

    def layer_groups(self) -> list[nn.Module]:
        return [self.a, self.b, self.c]


def _trains(learn: Learner) -> list[bool]:
    return [all(p.requires_grad for p in group.parameters()) for group in learn.layer_groups()]


# ------------------------------------------------------------------------------------------------- freeze_to
@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, [True, True, True]),
        (1, [False, True, True]),
        (2, [False, False, True]),
        (-1, [False, False, True]),
        (-2, [False, True, True]),  # fastai's idiom: the last two groups train
        (-3, [True, True, True]),
    ],
)
def test_freeze_to_counts_as_a_list_index(n: int, expected: list[bool]) -> None:
    learn = Learner(ThreeGroups(), _data(), progress=False)
    learn.freeze_to(n)
    assert _trains(learn) == expected


@pytest.mark.parametrize("n", [3, 5, -4])
def test_freeze_to_past_the_groups_is_refused_in_words(n: int) -> None:
    learn = Learner(ThreeGroups(), _data(), progress=False)
    with pytest.raises(
        ConfigError,
        match=rf"^freeze_to\({n}\): ThreeGroups has 3 layer groups, so n must be from -3 to 2 \(the first group "
        r"to train; negative counts from the end: freeze_to\(-1\) trains the last alone\); unfreeze\(\) trains "
        r"them all$",
    ):
        learn.freeze_to(n)
    assert _trains(learn) == [True, True, True]  # nothing was frozen on the way


def test_a_fit_with_every_parameter_frozen_is_refused_before_it_starts() -> None:
    learn = Learner(ThreeGroups(), _data(), progress=False)
    for param in learn.model.parameters():
        param.requires_grad_(False)
    with pytest.raises(
        ConfigError,
        match=r"^every parameter of ThreeGroups is frozen \(requires_grad=False\), so a fit would have nothing to "
        r"train: learn\.unfreeze\(\) trains it all, learn\.freeze_to\(-n\) the last n layer groups$",
    ):
        learn.fit(1)
    assert learn.history == []


# ------------------------------------------------------------------------------------------- relative paths
def _learner(path: str | Path) -> Learner:
    seed_everything(0)
    return Learner(nn.Linear(4, 1), _data(), progress=False, path=path)


def test_a_relative_resume_from_is_found_under_learn_path_where_checkpoint_wrote_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    reference = _learner(run)
    reference.fit_one_cycle(2, 1e-2, callbacks=[Checkpoint("ck.pt")])
    assert (run / "ck.pt").is_file() and not Path("ck.pt").exists()
    resumed = _learner(run)
    resumed.fit_one_cycle(2, 1e-2, resume_from="ck.pt")  # a finished fit: resumed at its end
    assert resumed.history == reference.history


def test_save_checkpoint_writes_a_relative_name_under_learn_path(tmp_path: Path) -> None:
    learn = _learner(tmp_path / "run")
    learn.fit(1)
    written = learn.save_checkpoint("manual.pt")
    assert written == tmp_path / "run" / "manual.pt" and written.is_file()
    assert learn.save("weights") == tmp_path / "run" / "weights.safetensors"  # the same place as save's
    again = learn.save_checkpoint(tmp_path / "run" / "abs.pt")
    assert again == tmp_path / "run" / "abs.pt" and again.is_file()


def test_a_relative_learn_path_is_not_doubled_by_checkpoint(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    learn = _learner("run")
    learn.fit(1, callbacks=[Checkpoint("ck.pt")])  # the callback passes learn.path / "ck.pt"
    assert Path("run/ck.pt").is_file() and not Path("run/run").exists()
    assert learn.save_checkpoint("run/again.pt") == Path("run/again.pt")
    _learner("run").fit(1, resume_from="ck.pt")
    _learner("run").fit(1, resume_from="run/ck.pt")


def test_a_checkpoint_in_the_working_directory_still_resumes(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    learn = _learner(tmp_path / "run")
    learn.fit(1)
    learn.save_checkpoint(tmp_path / "here.pt")  # where a relative save_checkpoint wrote before
    _learner(tmp_path / "run").fit(1, resume_from="here.pt")


def test_a_missing_checkpoint_names_each_absolute_path_looked_at(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    with pytest.raises(
        ArtifactError,
        match=rf"^checkpoint 'ck\.pt' \(there is no {tmp_path}/run/ck\.pt nor {tmp_path}/ck\.pt\) does not exist; "
        r"pass the file written by the Checkpoint callback \(a relative name is looked for under learn\.path, "
        r"where Checkpoint writes, then in the working directory\)$",
    ):
        _learner(tmp_path / "run").fit(1, resume_from="ck.pt")


# ---------------------------------------------------------------------------------------- image data
class OwnCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _pixels() -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(32, 8, 8), dtype=np.uint8)
    return pixels, ["dark" if value < 127 else "light" for value in pixels.mean(axis=(1, 2))]


def test_a_plain_learner_on_raw_pixels_says_to_use_vision_learner() -> None:
    pixels, labels = _pixels()
    data = image_data(pixels, labels, augmentation=None, batch_size=8)
    learn = Learner(OwnCNN(), data, progress=False)
    with pytest.raises(
        ConfigError, match=r"^OwnCNN failed on image data's raw pixels \(uint8, 0\.\.255\): "
    ) as caught:
        learn.fit(1)
    assert "trainwell.vision.vision_learner(data, arch=...)" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)  # torch's own error stays in the chain


def test_a_plain_learner_on_augmented_image_data_warns_that_it_trains_without_the_augmentation() -> None:
    pixels, labels = _pixels()
    with pytest.warns(UserWarning, match=r"^this image data's augmentation is applied by vision_learner's "):
        Learner(OwnCNN(), image_data(pixels, labels, batch_size=8), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Learner(OwnCNN(), image_data(pixels, labels, augmentation=None, batch_size=8), progress=False)
