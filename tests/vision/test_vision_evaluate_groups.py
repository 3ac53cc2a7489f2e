"""evaluate_images(groups=): folds that keep a patient's (an object's) images whole, for images listed in a CSV or
given as an array; a folder of class folders, with no column to group by, is refused in one line naming the fix."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trainwell.core.errors import ConfigError, DataError
from trainwell.vision.evaluation import evaluate_images


def _patients_csv(root: Path, n_patients: int = 8, per_patient: int = 3, broken: int | None = None) -> Path:
    """Three scans of each patient, listed in ``scans.csv`` (file, label, patient); a patient's label is theirs
    alone. ``broken``: the row whose file is not an image (skipped as the images are decoded)."""
    rng = np.random.default_rng(0)
    rows = []
    for patient in range(n_patients):
        label = "sick" if patient % 2 else "well"
        for scan in range(per_patient):
            name = f"p{patient}_{scan}.png"
            pixels = rng.integers(0, 120, (16, 16, 3), dtype=np.uint8)
            pixels[4:12, 4:12] = (200, 40, 40) if label == "sick" else (40, 40, 200)
            Image.fromarray(pixels).save(root / name)
            rows.append(f"{name},{label},P{patient}")
    if broken is not None:
        (root / f"p{broken // per_patient}_{broken % per_patient}.png").write_bytes(b"not an image")
    csv = root / "scans.csv"
    csv.write_text("file,label,patient\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return csv


@pytest.mark.slow
def test_a_csv_of_images_is_cross_validated_in_folds_of_whole_patients(tmp_path: Path) -> None:
    # Row 4 (patient P1's second scan) does not decode: the groups of the images kept must still line up.
    csv = _patients_csv(tmp_path, broken=4)
    with pytest.warns(UserWarning, match="p1_1.png"):
        result = evaluate_images(csv, path_col="file", label_col="label", cv=2, epochs=1, groups="patient")
    patients = np.delete(np.repeat([f"P{p}" for p in range(8)], 3), 4)
    assert result.n_rows == 23 and result.groups == ("'patient'", 8)
    for train, valid in result.model.splits:
        assert not set(patients[train]) & set(patients[valid])
        assert sorted(set(patients[valid])) != sorted(
            set(patients)
        )  # a fold of whole patients, not all of them
    for (
        baseline
    ) in result.baselines.values():  # the majority class and the thumbnails' models: the same folds
        assert all(
            np.array_equal(ours, theirs)
            for (_, ours), (_, theirs) in zip(result.model.splits, baseline.splits, strict=True)
        )
    assert "(binary, 23 images in 8 groups of 'patient')" in str(result)
    assert result.to_dict()["groups"] == {"by": "'patient'", "count": 8}


def test_an_array_of_images_takes_one_group_per_image() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (12, 3, 16, 16), dtype=np.uint8)
    labels, owners = ["a", "b"] * 6, np.repeat(["x", "y", "z", "w"], 3)
    result = evaluate_images(images, labels, cv=2, epochs=1, baselines=False, groups=owners)
    assert result.groups == ("the groups given", 4)
    assert all(not set(owners[train]) & set(owners[valid]) for train, valid in result.model.splits)
    with pytest.raises(
        DataError,
        match=r"^groups='owner' names a column, and the images are an array with none: pass one group",
    ):
        evaluate_images(images, labels, cv=2, groups="owner")


def test_a_folder_of_class_folders_has_no_column_to_group_by(tmp_path: Path) -> None:
    for label in ("sick", "well"):
        (tmp_path / "scans" / label).mkdir(parents=True)
    message = (
        f"groups needs a column to group the images by, and the folder '{tmp_path / 'scans'}' has none: list the "
        "images in a CSV with a column each of paths, labels and groups, and pass path_col, label_col and groups "
        "with its columns"
    )
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        evaluate_images(tmp_path / "scans", cv=2, groups="patient")


def test_bad_groups_of_a_csv_are_refused_as_a_tables_are(tmp_path: Path) -> None:
    import warnings

    csv = _patients_csv(tmp_path, n_patients=2, broken=0)
    # Refused before any image is decoded: the file that is not an image is never reached, nor said.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(
            DataError, match=r"^groups='patients' is not a column of .*scans\.csv \(did you mean"
        ):
            evaluate_images(csv, path_col="file", label_col="label", cv=2, groups="patients")
    assert not [w for w in caught if "p0_0.png" in str(w.message)]
    _patients_csv(tmp_path, n_patients=2)
    with pytest.raises(DataError, match=r"^the rows fall in 2 groups, fewer than the 3 folds of cv=3: "):
        evaluate_images(csv, path_col="file", label_col="label", cv=3, groups="patient")
    lines = csv.read_text(encoding="utf-8").splitlines()
    csv.write_text("\n".join([*lines[:-1], lines[-1].rsplit(",", 1)[0] + ","]) + "\n", encoding="utf-8")
    with pytest.raises(
        DataError, match=r"^groups is missing for 1 of the 6 rows cross-validated: every row needs"
    ):
        evaluate_images(csv, path_col="file", label_col="label", cv=2, groups="patient")
