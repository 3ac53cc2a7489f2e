"""Batch augmentation: shapes and ranges kept, identities exact, geometry checked on known images."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.vision import augment
from trainwell.vision.augment import Augmentation
from trainwell.vision.ops import (
    adjust_brightness_contrast,
    affine_matrices,
    center_crop_resize,
    gaussian_blur,
    gaussian_noise,
    low_contrast,
    random_erasing,
    resize,
    shift_pixels,
    streaks,
    tta_views,
    warp,
)

PRESETS = {
    "none": Augmentation.none(),
    "default": Augmentation.default(24),
    "default_grey": Augmentation.default(24, channels=1),
    "digits": Augmentation.digits(),
    "documents": Augmentation.documents((20, 28)),
    "everything": dataclasses.replace(
        Augmentation.default(24), erase_p=0.5, blur_p=0.5, noise_p=0.5, streak_p=0.5, low_contrast_p=0.5
    ),
}


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def ramp(batch: int = 2, channels: int = 1, height: int = 8, width: int = 12) -> torch.Tensor:
    """Images whose value grows left to right: a flip reverses the ramp, so flips are visible."""
    row = torch.linspace(0, 1, width)
    return row.expand(batch, channels, height, width).clone()


# --------------------------------------------------------------------------------------------- pipeline
@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("shape", [(5, 3, 30, 40), (1, 1, 17, 23), (3, 1, 32, 32)])
def test_presets_keep_dtype_range_and_give_the_configured_size(name: str, shape: tuple[int, ...]) -> None:
    aug = PRESETS[name]
    x = torch.rand(shape)
    out = aug(x, seeded())
    expected = aug.size if aug.size is not None else shape[-2:]
    expected = (expected, expected) if isinstance(expected, int) else tuple(expected)
    assert out.shape == (shape[0], shape[1], *expected)
    assert out.dtype == torch.float32
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert torch.isfinite(out).all()


def test_the_bare_config_and_none_return_the_input_unchanged() -> None:
    x = torch.rand(4, 3, 16, 20)
    assert Augmentation()(x, seeded()) is x
    assert Augmentation.none()(x) is x


def test_geometry_with_nothing_random_is_the_identity_within_float_error() -> None:
    x = torch.rand(3, 3, 16, 20)
    matrices = affine_matrices(3, (16, 20), generator=seeded())
    assert torch.allclose(matrices, torch.tensor([[1.0, 0, 0], [0, 1, 0]]).expand(3, 2, 3))
    assert torch.allclose(warp(x, matrices), x, atol=1e-5)
    # p_affine 0 switches rotate/zoom/translate off, whatever their ranges.
    still = Augmentation(max_rotate=30, max_zoom=0.5, max_translate=0.3, p_affine=0.0)
    assert torch.allclose(still(x, seeded()), x, atol=1e-5)


def test_probability_zero_leaves_every_operation_off() -> None:
    x = torch.rand(6, 3, 16, 16)
    off = Augmentation(
        brightness=0.5, contrast=0.5, saturation=0.5, p_color=0.0, erase_p=0.0, blur_p=0.0, noise_p=0.0
    )
    assert torch.equal(off(x, seeded()), x)
    assert torch.equal(random_erasing(x, p=0.0, generator=seeded()), x)
    assert torch.equal(streaks(x, p=0.0, generator=seeded()), x)


def test_flip_mirrors_about_half_the_images_exactly() -> None:
    x = ramp(batch=200, width=12)
    out = Augmentation(flip=True, p_affine=0.0)(x, seeded())
    flipped = torch.tensor([torch.allclose(o, i.flip(-1), atol=1e-5) for o, i in zip(out, x, strict=True)])
    kept = torch.tensor([torch.allclose(o, i, atol=1e-5) for o, i in zip(out, x, strict=True)])
    assert bool((flipped ^ kept).all())  # each image is exactly one of the two
    assert 70 < int(flipped.sum()) < 130


def test_given_flips_give_exactly_what_drawing_them_into_the_matrices_gives() -> None:
    # The flips a caller gives are applied to the drawn matrices after they reach the batch's device (no wait
    # for a GPU there): the same numbers, bit for bit, as drawing the matrices with the flips in them.
    aug = Augmentation(
        flip=True, max_rotate=25.0, max_zoom=0.3, max_translate=0.1, p_affine=1.0, min_scale=0.4, p_color=0.0
    )
    x = torch.rand(8, 3, 12, 10, generator=seeded(5))
    mirrored = torch.tensor([True, False, True, True, False, False, True, False])
    matrices = affine_matrices(
        8,
        (12, 10),
        (12, 10),
        scale=(0.4, 1.0),
        ratio=(aug.min_ratio, aug.max_ratio),
        flip=True,
        mirrored=mirrored,
        max_rotate=25.0,
        max_zoom=0.3,
        max_translate=0.1,
        p_affine=1.0,
        generator=seeded(),
    )
    assert torch.equal(aug(x, seeded(), mirrored=mirrored), warp(x, matrices).clamp(0, 1))


def test_a_plan_moves_in_one_copy_per_dtype_keeping_shapes_and_dtypes() -> None:
    plan = {
        "matrices": torch.rand(4, 2, 3),
        "shifts": torch.randint(-2, 3, (4, 2)),
        "brightness": torch.rand(4),
        "chosen": torch.rand(4) < 0.5,
    }
    assert augment.move_plan(plan, torch.device("cpu")) is plan  # already there: nothing copied
    moved = augment.move_plan(plan, torch.device("meta"))
    assert list(moved) == list(plan)
    for name, value in plan.items():
        assert moved[name].device.type == "meta"
        assert (moved[name].shape, moved[name].dtype) == (value.shape, value.dtype), name


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device (benchmarks/gpu_checks.sh suite)"
)
@pytest.mark.parametrize("preset", ["default", "speedrun", "documents", "erasing"])
def test_augmenting_a_gpu_batch_never_makes_the_host_wait(preset: str) -> None:
    aug = {
        "default": Augmentation.default(32),
        "speedrun": Augmentation(flip="alternate", pixel_shift=2),
        "documents": dataclasses.replace(Augmentation.documents(32), blur_p=1.0),  # blur, noise, streaks
        "erasing": dataclasses.replace(Augmentation.default(32), erase_p=0.7),  # boxes of random values
    }[preset]
    images = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8, generator=seeded(1)).cuda()
    mirrored = augment.alternating_flips(images, 1) if aug.flip == "alternate" else None
    aug(images, seeded(), mirrored=mirrored)  # warm-up: pinned staging memory allocated
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = aug(images, seeded(), mirrored=mirrored)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    on_cpu = aug(images.cpu(), seeded(), mirrored=None if mirrored is None else mirrored.cpu())
    if aug.fills_at_random():  # noise comes from a generator on the GPU there: other draws
        assert out.shape == on_cpu.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    else:
        assert torch.allclose(out.cpu(), on_cpu, atol=1e-4)


def test_alternating_flips_show_every_image_both_ways_in_two_epochs() -> None:
    images = torch.randint(0, 256, (400, 3, 8, 8), dtype=torch.uint8, generator=seeded(3))
    first, second, third = (augment.alternating_flips(images, epoch) for epoch in (0, 1, 2))
    assert bool((first ^ second).all()) and torch.equal(first, third)
    assert 150 < int(first.sum()) < 250  # a random half
    assert torch.equal(augment.alternating_flips(images.float() / 255, 0), first)  # floats: the same choice
    x = images.float() / 255
    out = Augmentation(flip="alternate", p_affine=0.0)(x, seeded(), mirrored=second)
    for image, result, mirrored in zip(x, out, second, strict=True):
        assert torch.allclose(result, image.flip(-1) if mirrored else image, atol=1e-5)
    assert (
        Augmentation.from_dict(json.loads(json.dumps(Augmentation(flip="alternate").to_dict()))).flip
        == "alternate"
    )


def test_same_seed_same_batch_and_different_seed_different_batch() -> None:
    aug = PRESETS["everything"]
    x = torch.rand(8, 3, 28, 28)
    assert torch.equal(aug(x, seeded(3)), aug(x, seeded(3)))
    assert not torch.equal(aug(x, seeded(3)), aug(x, seeded(4)))


def test_uint8_batches_give_what_their_float_version_gives() -> None:
    pixels = torch.randint(0, 256, (5, 3, 20, 20), dtype=torch.uint8)
    aug = PRESETS["everything"]
    out = aug(pixels, seeded(2))
    assert out.dtype == torch.float32
    assert torch.allclose(out, aug(pixels.float() / 255, seeded(2)), atol=1e-6)
    assert torch.allclose(Augmentation.none()(pixels), pixels.float() / 255)


def test_chunked_cpu_processing_gives_the_same_batch_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.rand(11, 3, 12, 12)
    aug = dataclasses.replace(PRESETS["default"], erase_p=0.5, erase_value=0.0, low_contrast_p=0.5)
    whole = aug(x, seeded())
    monkeypatch.setattr(augment, "CPU_CHUNK_BYTES", 4 * 3 * 24 * 24 * 4)  # four images a step: 4 + 4 + 3
    chunked = aug(x, seeded())
    assert torch.allclose(chunked, whole, atol=1e-6)
    assert chunked.shape == (11, 3, 24, 24)


def test_images_of_a_batch_are_augmented_independently() -> None:
    x = torch.rand(1, 3, 24, 24).expand(16, 3, 24, 24).contiguous()
    out = Augmentation.default(24)(x, seeded())
    distinct = {tuple(out[i].flatten()[:50].tolist()) for i in range(16)}
    assert len(distinct) > 8


def test_random_resized_crop_keeps_the_crop_inside_the_image() -> None:
    # Content only in the centre: a crop of at least 35% of the area always contains part of the centre,
    # and reflection padding never needs to be used for a crop inside the image.
    matrices = affine_matrices(
        500, (40, 60), (20, 20), scale=(0.35, 1.0), ratio=(0.75, 4 / 3), generator=seeded()
    )
    corners = torch.tensor([[-1.0, -1, 1], [1, -1, 1], [-1, 1, 1], [1, 1, 1]]).T  # (3, 4) homogeneous
    mapped = matrices @ corners  # (B, 2, 4) input coordinates of the output's corners
    assert float(mapped.abs().max()) <= 1 + 1e-5


def test_crop_with_ratio_one_does_not_distort_a_non_square_image() -> None:
    # A 40x80 image to 20x20: the crop must be square in pixels, so its width fraction is half its height's.
    matrices = affine_matrices(50, (40, 80), (20, 20), scale=(0.2, 1.0), generator=seeded())
    width_fraction, height_fraction = matrices[:, 0, 0], matrices[:, 1, 1]
    assert torch.allclose(width_fraction * 80, height_fraction * 40, rtol=1e-5)


def test_rotation_by_180_degrees_turns_the_image_round() -> None:
    x = torch.rand(1, 1, 10, 14)
    # max_rotate=180 with a draw of exactly 180 is unlikely: build the matrix a warp of 180 degrees needs.
    matrices = torch.tensor([[[-1.0, 0, 0], [0, -1, 0]]])
    assert torch.allclose(warp(x, matrices), x.flip(-1).flip(-2), atol=1e-5)


# ------------------------------------------------------------------------------------------- functions
def test_brightness_and_contrast_factors_of_one_change_nothing_and_others_do() -> None:
    x = torch.rand(3, 3, 8, 8) * 0.5 + 0.25
    assert torch.allclose(adjust_brightness_contrast(x), x, atol=1e-6)
    darker = adjust_brightness_contrast(x, brightness=torch.tensor([0.5, 1.0, 1.0]))
    assert torch.allclose(darker[0], x[0] * 0.5, atol=1e-6) and torch.allclose(darker[1:], x[1:], atol=1e-6)
    flat = adjust_brightness_contrast(x, contrast=0.0)
    assert torch.allclose(flat.std(dim=(1, 2, 3)), torch.zeros(3), atol=1e-6)
    grey = adjust_brightness_contrast(x, saturation=0.0)
    assert torch.allclose(grey[:, 0], grey[:, 1], atol=1e-6) and torch.allclose(
        grey[:, 1], grey[:, 2], atol=1e-6
    )


def test_random_erasing_with_noise_changes_only_the_rectangle_and_repeats_with_its_seed() -> None:
    x = torch.full((6, 3, 16, 16), 0.5)
    out = random_erasing(x, p=1.0, area=(0.1, 0.2), generator=seeded(3))
    changed = (out != x).any(1)  # (B, H, W): the noise almost surely differs from 0.5 everywhere it lands
    rows, cols = changed.any(2), changed.any(1)
    assert torch.equal(changed.sum((1, 2)), rows.sum(1) * cols.sum(1))  # one filled rectangle per image
    assert bool(changed.flatten(1).any(1).all()) and float(out.min()) >= 0 and float(out.max()) <= 1
    assert torch.equal(out, random_erasing(x, p=1.0, area=(0.1, 0.2), generator=seeded(3)))


def test_random_erasing_fills_one_rectangle_per_chosen_image() -> None:
    x = torch.full((50, 1, 20, 20), 0.5)
    out = random_erasing(x, p=1.0, area=(0.1, 0.2), value=1.0, generator=seeded())
    erased = out == 1.0
    assert bool(erased.flatten(1).any(1).all())
    area = erased.float().mean(dim=(1, 2, 3))
    assert float(area.min()) > 0.05 and float(area.max()) < 0.3
    rows, cols = erased[:, 0].any(2), erased[:, 0].any(1)  # a rectangle fills its bounding box
    assert torch.equal(erased[:, 0].sum((1, 2)), rows.sum(1) * cols.sum(1))


def test_blur_with_sigma_zero_is_exact_and_blur_smooths() -> None:
    x = torch.rand(2, 3, 16, 16)
    assert torch.equal(gaussian_blur(x, 0.0), x)
    per_image = gaussian_blur(x, torch.tensor([0.0, 2.0]))
    assert torch.equal(per_image[0], x[0])
    assert float(per_image[1].std()) < 0.6 * float(x[1].std())
    assert torch.allclose(per_image[1].mean(), x[1].mean(), atol=0.02)  # blurring keeps the mean


def test_noise_streaks_and_low_contrast_behave_as_documented() -> None:
    x = torch.full((4, 1, 30, 30), 0.5)
    noisy = gaussian_noise(x, torch.tensor([0.0, 0.1, 0.1, 0.1]), generator=seeded())
    assert torch.equal(noisy[0], x[0])
    assert 0.07 < float(noisy[1:].std()) < 0.13
    lined = streaks(x, p=1.0, max_lines=2, generator=seeded())
    changed = (lined != x)[:, 0]
    # every changed pixel lies on a full row or a full column of changed pixels
    full_rows, full_cols = changed.all(2, keepdim=True), changed.all(1, keepdim=True)
    assert bool(changed.flatten(1).any(1).all())
    assert torch.equal(changed, changed & (full_rows | full_cols))
    faded = low_contrast(torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)]), 0.5, 1.0)
    assert torch.allclose(faded[0], torch.full((1, 4, 4), 0.5)) and torch.allclose(
        faded[1], torch.ones(1, 4, 4)
    )


def test_resize_center_crop_and_tta_views_are_deterministic_and_sized() -> None:
    x = torch.rand(2, 3, 30, 40)
    assert resize(x, 16).shape == (2, 3, 16, 16)
    assert resize(x, (30, 40)) is x
    centre = center_crop_resize(x, 30)
    assert torch.allclose(centre, x[..., :, 5:35], atol=1e-6)  # same size: a pure centre crop
    views = tta_views(x, 24)
    assert len(views) == 5 and all(v.shape == (2, 3, 24, 24) for v in views)
    assert torch.equal(views[1], views[0].flip(-1))
    assert len(tta_views(x, flip=False)) == 4
    assert all(torch.equal(a, b) for a, b in zip(tta_views(x, 24), views, strict=True))


def test_non_square_output_size() -> None:
    out = Augmentation.default((16, 24))(torch.rand(3, 3, 32, 32), seeded())
    assert out.shape == (3, 3, 16, 24)


# ---------------------------------------------------------------------------------------------- config
def test_config_round_trips_through_json() -> None:
    for aug in [
        *PRESETS.values(),
        dataclasses.replace(Augmentation.documents(), erase_value=0.0, size=(8, 12)),
    ]:
        restored = Augmentation.from_dict(json.loads(json.dumps(aug.to_dict())))
        assert restored == aug


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_rotate": -5}, "max_rotate must be a number in [0, 180], got -5; pass e.g. max_rotate=10.0"),
        ({"min_scale": 0.0}, "min_scale must be a number in (0, 1]"),
        ({"min_scale": 0.9, "max_scale": 0.5}, "min_scale (0.9) must not exceed max_scale (0.5)"),
        ({"erase_p": 1.5}, "erase_p must be a number in [0, 1], got 1.5"),
        ({"flip": "yes"}, "flip must be true, false or 'alternate', got 'yes'"),
        ({"size": 0}, "size must be a whole number >= 1 or (height, width), got 0"),
        ({"max_streaks": 2.5}, "max_streaks must be a whole number from 1 to 20, got 2.5"),
        ({"brightness": float("nan")}, "brightness must be a number in [0, 0.95], got nan"),
    ],
)
def test_bad_settings_raise_a_config_error_naming_them(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Augmentation(**changes)


def test_unknown_keys_and_bad_inputs_are_user_errors() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("unknown Augmentation setting(s) rotate; known settings are: ")
    ):
        Augmentation.from_dict({"rotate": 10})
    with pytest.raises(ConfigError, match=re.escape("channels must be 1 (grey) or 3 (RGB), got 4")):
        Augmentation.default(32, channels=4)
    with pytest.raises(DataError, match=r"needs a float image batch \(B, C, H, W\).*got \(3, 8, 8\)"):
        Augmentation.default(8)(torch.rand(3, 8, 8))
    with pytest.raises(
        DataError, match=re.escape("(or uint8 in [0, 255]), got (1, 3, 8, 8) torch.int32; convert")
    ):
        Augmentation.default(8)(torch.zeros(1, 3, 8, 8, dtype=torch.int32))
    with pytest.raises(
        DataError, match=re.escape("got (1, 3, 8, 8) torch.uint8; convert with x.float() / 255")
    ):
        warp(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), torch.zeros(1, 2, 3))


def test_whole_pixel_shifts_move_pixels_exactly_with_reflected_borders() -> None:
    x = torch.rand(3, 2, 6, 7)
    out = shift_pixels(x, torch.tensor([[1, 2], [0, 0], [-2, -1]]))
    assert torch.equal(out[0, :, 1:, 2:], x[0, :, :-1, :-2])  # moved down 1, right 2: no resampling
    assert torch.equal(out[1], x[1])
    assert torch.equal(out[2, :, :-2, :-1], x[2, :, 2:, 1:])
    assert torch.equal(out[0, :, 0, 2:], x[0, :, 1, :-2])  # the new top row reflects row 1
    assert shift_pixels(x, torch.zeros(3, 2, dtype=torch.long)) is x
    with pytest.raises(DataError, match=r"one \(dy, dx\) per image"):
        shift_pixels(x, torch.zeros(2, 2, dtype=torch.long))


def test_pixel_shift_augmentation_is_seeded_serialisable_and_checked() -> None:
    aug = Augmentation(pixel_shift=2)
    x = torch.rand(16, 3, 8, 8)
    first = aug(x, generator=torch.Generator().manual_seed(3))
    again = aug(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again) and not torch.equal(first, x)
    values = set(torch.unique(first).tolist())
    assert values <= set(x.unique().tolist())  # only the input's pixel values: nothing interpolated
    assert Augmentation.from_dict(aug.to_dict()) == aug
    with pytest.raises(ConfigError, match="pixel_shift must be a whole number of pixels"):
        Augmentation(pixel_shift=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("noise", [False, True], ids=["shared draw", "random pixels: image by image"])
def test_tta_gives_an_image_the_same_answer_whatever_shares_its_batch(noise: bool) -> None:
    from trainwell.vision.transform import tta_probabilities

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 3)).eval()
    images = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    augmentation = Augmentation.default(16)
    if noise:
        augmentation = dataclasses.replace(augmentation, noise_p=1.0, max_noise=0.2)
    assert augmentation.fills_at_random() is noise

    def tta(batch: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return tta_probabilities(model, lambda out: out.softmax(-1), batch, augmentation)

    alone = tta(images[:1])
    for batch in (images[:2], images.flip(0), images[[3, 0, 0]]):  # first, last, twice in one batch
        together = tta(batch)
        first = next(i for i in range(len(batch)) if torch.equal(batch[i], images[0]))
        torch.testing.assert_close(together[first], alone[0], rtol=1e-5, atol=1e-6)
    with torch.no_grad():  # the augmented views do change the answer: the test is not vacuous
        plain = model(images[:1].float() / 255.0).softmax(-1)
    assert not torch.allclose(alone, plain)


@pytest.mark.parametrize("preset", [name for name, aug in PRESETS.items() if not aug.fills_at_random()])
def test_a_shared_draw_augments_each_image_as_augmenting_it_alone_would(preset: str) -> None:
    aug = PRESETS[preset]
    channels = 1 if preset in ("default_grey", "digits", "documents") else 3
    x = torch.randint(0, 256, (6, channels, 30, 26), dtype=torch.uint8, generator=seeded(2))
    together = aug(x, seeded(7), shared=True)
    alone = torch.cat([aug(x[i : i + 1], seeded(7)) for i in range(len(x))])
    torch.testing.assert_close(together, alone, rtol=0, atol=1e-6)
    if preset != "none":  # a per-image draw differs: the flag is not vacuous
        assert not torch.equal(together, aug(x, seeded(7)))
    with pytest.raises(ConfigError, match="mirrored= or shared=True"):
        aug(x, seeded(7), shared=True, mirrored=torch.zeros(6, dtype=torch.bool))


def test_shifted_tta_averages_one_pixel_shifts_and_mirrors_and_auto_picks_it_for_shift_training() -> None:
    from torch.nn import functional as F

    from trainwell.vision.transform import describe_tta, tta_probabilities, tta_views_for

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4)).eval()
    images = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8, generator=seeded(4))
    x = images.float() / 255

    def probs(view: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(view).softmax(-1)

    padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
    up_left, down_right = padded[..., :8, :8], padded[..., 2:, 2:]
    assert torch.equal(up_left[..., 1:, 1:], x[..., :-1, :-1])  # the content moved one pixel down-right
    speedrun = Augmentation(flip="alternate", pixel_shift=2)
    assert tta_views_for(speedrun) == "shifted" and tta_views_for(Augmentation.default(8)) == "augmented"
    assert tta_views_for(None) is None
    got = tta_probabilities(model, lambda out: out.softmax(-1), images, speedrun)
    mirrored = [0.5 * (probs(v) + probs(v.flip(-1))) for v in (x, up_left, down_right)]
    torch.testing.assert_close(got, 0.5 * mirrored[0] + 0.25 * (mirrored[1] + mirrored[2]))
    unflipped = dataclasses.replace(
        speedrun, flip=False
    )  # never shows a mirror image to a model trained without
    got = tta_probabilities(model, lambda out: out.softmax(-1), images, unflipped)
    torch.testing.assert_close(got, 0.5 * probs(x) + 0.25 * (probs(up_left) + probs(down_right)))
    forced = tta_probabilities(
        model, lambda out: out.softmax(-1), images, Augmentation.default(8), views="shifted"
    )
    assert forced.shape == (3, 4) and torch.allclose(forced.sum(-1), torch.ones(3))
    assert "shifts by one pixel up-left and down-right, and the mirror images of all three" in describe_tta(
        speedrun
    )
    assert describe_tta(unflipped).endswith("up-left and down-right")
    assert "4 views augmented as in training" in describe_tta(Augmentation.default(8))
    # --augment none records a resize alone: --tta said it blended 4 augmented views, each the image itself.
    resize_only = Augmentation.none(8)
    assert tta_views_for(resize_only) is None and "no views to average" in describe_tta(resize_only)
    assert torch.equal(tta_probabilities(model, lambda out: out.softmax(-1), images, resize_only), probs(x))
    line = torch.randint(
        0, 256, (2, 3, 1, 5), dtype=torch.uint8
    )  # one row: no shifted views, the mirrors only
    line_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(15, 4)).eval()
    with torch.no_grad():
        plain = line_model(line.float() / 255).softmax(-1)
        mirrored_line = line_model(line.float().flip(-1) / 255).softmax(-1)
    got = tta_probabilities(line_model, lambda out: out.softmax(-1), line, speedrun)
    torch.testing.assert_close(got, 0.5 * (plain + mirrored_line))
    with pytest.raises(ConfigError, match="TTA views must be one of auto, augmented, shifted; got 'crops'"):
        tta_probabilities(model, lambda out: out.softmax(-1), images, speedrun, views="crops")
