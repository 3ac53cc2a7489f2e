"""What ``trainwell fit FOLDER`` says of a folder of splits reads in order: what the folder is, then each file's notes.

A user's tour ran ``trainwell fit adult/`` (UCI's adult.data, adult.test and adult.names) and read adult.test's
notes (its header, its ``|1x3 Cross validator`` line) before the line saying adult.test is the test split, and
adult.data's after it: the test split is read first, to see whether it is labelled, and the training file later.
The columns named from adult.names, the documented reading, came as an alarming ``warning:``; it is a ``note:``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from cli_support import binary_table, run_cli

from trainwell.core.warn import Note
from trainwell.tabular import tabular_data

#: A description of the made-up table in C4.5's format, as UCI describes adult.data in adult.names.
C45_NAMES = """| Made-up data, described as UCI describes adult.data.

yes, no.        | the classes

x1: continuous.
x2: continuous.
color: red, green, blue.
size: S, M, L.
"""


def _uci_folder(tmp_path: Path) -> Path:
    """made.data, made.test (a preamble line first, labels with a full stop) and made.names, as UCI's adult/."""
    uci = tmp_path / "uci"
    uci.mkdir()
    (uci / "made.names").write_text(C45_NAMES, encoding="utf-8")
    (uci / "made.data").write_text(binary_table(0).to_csv(index=False, header=False), encoding="utf-8")
    test = binary_table(1, 100)
    test = test.assign(y=test["y"] + ".")
    rows = test.to_csv(index=False, header=False)
    (uci / "made.test").write_text("|1x3 Cross validator\n" + rows, encoding="utf-8")
    return uci


def test_a_folder_of_splits_is_named_first_then_each_files_notes_training_first(tmp_path: Path) -> None:
    uci = _uci_folder(tmp_path)
    fitted = run_cli("fit", uci, "--arch", "gbdt", "--out", tmp_path / "m")
    assert fitted.returncode == 0, fitted.explain()
    lines = fitted.stderr_lines
    expected = [
        f"'{uci}': a dataset in splits: training rows from made.data; test rows from made.test (--test)",
        f"--target class: the class '{uci / 'made.names'}' declares for '{uci / 'made.data'}'",
        f"note: '{uci / 'made.data'}' has no header row: its columns are named from '{uci / 'made.names'}'",
        f"note: '{uci / 'made.test'}' has no header row: its columns are named from '{uci / 'made.names'}'",
        f"warning: '{uci / 'made.test'}': 1 line(s) before its first row of data left out",
        "warning: target values written otherwise than the known classes were read as them: 'no.' as 'no'",
    ]
    assert lines[: len(expected)] == [
        next((line for line in lines if line.startswith(start)), start) for start in expected
    ], fitted.explain()
    assert (
        sum("has no header row" in line for line in lines) == 2
    )  # each file's said once, not again when read
    assert "test set (100 rows)" in fitted.stdout


def test_python_hears_the_training_files_note_before_the_test_files(tmp_path: Path) -> None:
    uci = _uci_folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        data = tabular_data(uci, "class")
    said = [(item.category, str(item.message)) for item in caught]
    headers = [(category, text.split("'")[1]) for category, text in said if "has no header row" in text]
    assert headers == [(Note, str(uci / "made.data")), (Note, str(uci / "made.test"))]
    assert issubclass(Note, UserWarning)  # filters on UserWarning still hold
    preamble = next(n for n, (_, text) in enumerate(said) if "before its first row of data left out" in text)
    assert (
        said[preamble][0] is UserWarning and preamble > 1
    )  # dropping a line stays a warning, after the notes
    assert list(data.train.header_names) == ["x1", "x2", "color", "size", "class"]
