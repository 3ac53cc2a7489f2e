"""What the confusion matrix draws: shares of each actual class, and a blank row for a class the data lacks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from trainwell.interpret._plots import confusion_cells, plot_confusion_matrix


def test_a_class_with_no_actual_examples_has_a_blank_row_not_zeros(tmp_path: Path) -> None:
    # CoNLL's B-ORG and I-ORG had no gold words in the file: their rows read 0.00, which looks like "0% right".
    matrix = np.array([[3, 1, 0], [0, 0, 0], [0, 2, 2]])
    values, texts, names = confusion_cells(matrix, ["O", "B-ORG", "B-PER"], normalize=True, unit="words")
    assert texts == [["0.75", "0.25", "0.00"], ["", "", ""], ["0.00", "0.50", "0.50"]]
    assert names == ["O", "B-ORG (no words)", "B-PER"]
    assert all(math.isnan(v) for v in values[1]) and values[0, 0] == 0.75
    # Counts are counts: a row of zeros there is true and written, with thousands separators.
    counted = confusion_cells(np.array([[11699, 0], [0, 0]]), ["a", "b"], normalize=False)
    assert counted[1] == [["11,699", "0"], ["0", "0"]] and counted[2] == ["a", "b"]
    # The plot draws it (a NaN row and the nanmax scale raise nothing) and an all-empty matrix too.
    assert plot_confusion_matrix(
        matrix, ["O", "B-ORG", "B-PER"], tmp_path / "cm.png", True, unit="words"
    ).is_file()
    assert plot_confusion_matrix(np.zeros((2, 2)), ["a", "b"], tmp_path / "none.png", True).is_file()
