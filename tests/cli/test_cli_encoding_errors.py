"""``--encoding-errors`` where a table is read outside the table commands: the CSV of image paths of
``fit --path-col`` and the ``--seen`` ratings of ``recommend``, each a real file with a byte that is not UTF-8.

Without the option the command stops in one line naming the file and the fix; with ``--encoding-errors replace``
the byte is read as U+FFFD and the command goes on. The commands run in-process (typer's runner): the point is
what they read, not the process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image_files import shape_image
from ratings_support import low_rank_ratings
from test_encoding import invoke  # trainwell ARGS in this process: exit code, stdout, stderr


def latin1_image_csv(folder: Path) -> Path:
    """16 small images listed in a CSV whose labels are 'café' (Latin-1: 'é' is the single byte 0xe9) and 'bar'."""
    rng = np.random.default_rng(0)
    rows = ["file,label"]
    for index in range(16):
        label = ("café", "bar")[index % 2]
        shape_image(("horizontal", "vertical")[index % 2], rng, size=12).save(folder / f"{index}.png")
        rows.append(f"{index}.png,{label}")
    path = folder / "photos.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    return path


@pytest.mark.slow  # one fit of 16 small images: a few seconds
def test_a_csv_of_image_paths_reads_with_encoding_errors(tmp_path: Path) -> None:
    photos = latin1_image_csv(tmp_path)
    fit = ("fit", photos, "--path-col", "file", "--label-col", "label", "--epochs", "1", "--size", "12")
    code, _, err = invoke(*fit, "--out", tmp_path / "refused")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert f"'{photos}' is not utf-8 text (byte 0xe9 on line 2)" in lines[0] and "--encoding" in lines[0]
    assert not (tmp_path / "refused").exists()

    code, _, err = invoke(*fit, "--out", tmp_path / "model", "--encoding-errors", "replace")
    assert code == 0, err
    assert (tmp_path / "model" / "trainwell.json").is_file()
    assert "caf\ufffd" in (tmp_path / "model" / "trainwell.json").read_text(encoding="utf-8")


def test_a_folder_of_images_still_refuses_encoding_errors(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / "photos" / label).mkdir(parents=True)
        shape_image("horizontal", np.random.default_rng(0), size=12).save(
            tmp_path / "photos" / label / "0.png"
        )
    code, _, err = invoke("fit", tmp_path / "photos", "--encoding-errors", "replace", "--out", tmp_path / "m")
    assert code == 2
    assert (
        "--encoding-errors is for tables (a CSV of image paths too), CoNLL files and .txt corpora, not images"
        in err
    )


def test_recommend_reads_seen_ratings_with_encoding_and_errors(tmp_path: Path) -> None:
    plays = tmp_path / "plays.csv"
    low_rank_ratings(n_users=12, n_items=10, n_ratings=80).frame[["user", "item"]].to_csv(plays, index=False)
    model = tmp_path / "recommender"  # fitted in closed form: no training loop
    code, _, err = invoke("fit", plays, "--user", "user", "--item", "item", "--implicit", "--arch", "ease",
                          "--out", model)  # fmt: skip
    assert code == 0, err
    seen = tmp_path / "seen.csv"
    seen.write_bytes("user,item,note\n1,1,caf\xe9\n1,2,ok\n".encode("latin-1"))

    code, _, err = invoke("recommend", model, "1", "--seen", seen)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert f"'{seen}' is not utf-8 text (byte 0xe9 on line 2)" in lines[0] and "--encoding" in lines[0]

    for fix in (("--encoding-errors", "replace"), ("--encoding", "latin-1")):
        code, out, err = invoke("recommend", model, "1", "--seen", seen, "--top", "10", *fix)
        assert code == 0, err
        header, *rows = out.splitlines()
        items = [row.split(",")[header.split(",").index("item")] for row in rows]
        assert items and "1" not in items and "2" not in items, out  # left out as seen
        assert "2 in --seen" in err


def not_utf8_line(err: str, path: Path, line: int) -> bool:
    """Whether ``err`` is one line saying ``path`` is not UTF-8 at ``line`` and naming --encoding."""
    lines = [text for text in err.splitlines() if text.strip()]
    return (
        len(lines) == 1
        and f"'{path}' is not utf-8 text (byte 0xe9 on line {line})" in lines[0]
        and ("--encoding" in lines[0])
    )


@pytest.mark.slow  # a fit, a 2-fold evaluation and two reports of 16 small images: seconds each
def test_evaluate_and_report_read_a_csv_of_image_paths_in_its_encoding(tmp_path: Path) -> None:
    photos = latin1_image_csv(tmp_path)
    columns = ("--path-col", "file", "--label-col", "label", "--size", "12")
    evaluate = ("evaluate", photos, *columns, "--cv", "2", "--epochs", "1", "--no-baselines")
    code, _, err = invoke(*evaluate)
    assert code == 2 and not_utf8_line(err, photos, 2), err  # was: the encoding silently ignored
    code, out, err = invoke(*evaluate, "--encoding", "latin-1")
    assert code == 0, err
    assert "accuracy" in out

    model = tmp_path / "model"
    code, _, err = invoke("fit", photos, *columns, "--epochs", "1", "--encoding", "latin-1", "--out", model)
    assert code == 0, err
    report = tmp_path / "report.html"
    code, _, err = invoke("report", model, "--data", photos, "--out", report)
    assert code == 2 and not_utf8_line(err, photos, 2) and not report.exists(), err
    code, _, err = invoke("report", model, "--data", photos, "--out", report, "--encoding", "latin-1")
    assert code == 0, err
    assert "café" in report.read_text(encoding="utf-8")


def test_evaluate_reads_tables_ratings_and_conll_files_with_encoding_errors(tmp_path: Path) -> None:
    from tagging_samples import entity_sentences, write_conll_file

    rng = np.random.default_rng(0)
    table = tmp_path / "table.csv"
    shops = ("caf\xe9", "bar")
    rows = [f"{x:.3f},{shops[i % 2]},{int(x > 0)}" for i, x in enumerate(rng.normal(size=60))]
    table.write_bytes(("x,shop,y\n" + "\n".join(rows) + "\n").encode("latin-1"))
    # --lr: no learning-rate sweep in each fold (no part of what is read here)
    evaluate = ("evaluate", table, "--target", "y", "--cv", "2", "--epochs", "1", "--arch", "mlp",
                "--lr", "1e-2", "--no-baselines")  # fmt: skip
    code, _, err = invoke(*evaluate)
    assert code == 2 and not_utf8_line(err, table, 2), err
    code, out, err = invoke(*evaluate, "--encoding-errors", "replace")
    assert code == 0 and "accuracy" in out, err

    ratings = tmp_path / "ratings.csv"
    frame = low_rank_ratings(n_users=12, n_items=10, n_ratings=80).frame
    frame["note"] = ["caf\xe9" if i == 0 else "ok" for i in range(len(frame))]
    ratings.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    rated = ("evaluate", ratings, "--user", "user", "--item", "item", "--target", "rating", "--cv", "2",
             "--epochs", "1", "--no-baselines")  # fmt: skip
    code, _, err = invoke(*rated)
    assert code == 2 and not_utf8_line(err, ratings, 2), err
    code, out, err = invoke(*rated, "--encoding", "latin-1")
    assert code == 0 and "rmse" in out, err

    conll = write_conll_file(tmp_path / "ner.conll", entity_sentences(40))
    conll.write_bytes(conll.read_bytes().replace(b"Paris", "Pär\xe9s".encode("latin-1")))
    tagged = ("evaluate", conll, "--cv", "2", "--epochs", "1", "--no-baselines")
    code, _, err = invoke(*tagged)
    assert (
        code == 2 and "ner.conll' is not utf-8 text (byte 0xe4 on line" in err and "--encoding latin-1" in err
    ), err
    code, out, err = invoke(*tagged, "--encoding-errors", "replace")
    assert code == 0 and "entity_f1" in out, err


def test_evaluate_refuses_encodings_for_a_folder_of_images(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / "photos" / label).mkdir(parents=True)
    for given, said in ((("--encoding", "latin-1"), "--encoding latin-1 applies to tables"),
                        (("--encoding-errors", "replace"), "is a folder of images: drop it")):  # fmt: skip
        code, _, err = invoke("evaluate", tmp_path / "photos", *given)
        assert code == 2 and said in err, err


def test_a_missing_target_lists_the_columns_of_a_table_read_with_replacement(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_bytes("caf\xe9,price\n1,2\n".encode("latin-1"))
    for command in ("fit", "evaluate"):
        code, _, err = invoke(command, table, "--encoding-errors", "replace")
        assert code == 2 and "--target is required" in err and "columns are: caf\ufffd, price" in err, err
