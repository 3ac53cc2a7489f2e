"""Commands given an archive read what it holds (unpacked once into the cache), and say where it went."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import binary_table
from typer.testing import CliRunner

from image_files import make_image_folder
from trainwell.cli.app import app


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def test_fit_and_predict_read_images_from_archives(tmp_path: Path) -> None:
    photos = make_image_folder(tmp_path / "photos", per_class=12, size=16)
    archive = tmp_path / "photos.tgz"
    with tarfile.open(archive, "w:gz") as packed:
        packed.add(photos, arcname="photos")
    code, _, err = _run("fit", archive, "--epochs", "1", "--out", tmp_path / "model")
    assert code == 0, err
    assert f"unpacked '{archive}' (24 files," in err and "; reading 'photos' inside" in err
    new = tmp_path / "new.zip"  # as a Mac zips a folder: its ._ companions would read as broken images
    with zipfile.ZipFile(new, "w") as packed:
        for png in sorted((photos / "vertical").glob("*.png"))[:3]:
            packed.write(png, f"new/{png.name}")
            packed.writestr(f"__MACOSX/new/._{png.name}", b"\x00\x05\x16\x07")
    code, out, err = _run("predict", tmp_path / "model", new)
    assert code == 0, err
    assert f"unpacked '{new}' (3 files," in err
    lines = out.strip().splitlines()
    assert lines[0].startswith("path,prediction,") and len(lines) == 4
    # each named from the archive given, not the cache: new.zip/new/000.png
    assert all(line.startswith(f"{new}/new/0") and "__MACOSX" not in line for line in lines[1:])


def test_a_table_archive_trains_and_tests(tmp_path: Path) -> None:
    frame = binary_table()
    train, test = tmp_path / "train.csv.zip", tmp_path / "test.zip"
    for path, rows in ((train, frame[:300]), (test, frame[300:])):
        with zipfile.ZipFile(path, "w") as packed:
            packed.writestr(
                path.name.removesuffix(".zip").removesuffix(".csv") + ".csv", rows.to_csv(index=False)
            )
    code, out, err = _run(
        "fit", train, "--target", "y", "--test", test, "--arch", "gbdt", "--out", tmp_path / "m"
    )
    assert code == 0, err
    assert f"unpacked '{train}'" in err and f"unpacked '{test}'" in err
    assert "test set (100 rows): accuracy " in out


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # MovieLens' ml-100k.tgz with a target it lacks: which file to fit, and how
            {
                "ml-100k/u.data": "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
                "ml-100k/README": "about\n",
            },
            "its u.data looks like ratings without a header row (user, item, rating[, timestamp]): trainwell fit "
            "{folder}/ml-100k/u.data --user user --item item --target rating",
        ),
        (  # a dataset in splits whose test table has every column: its training table read, the target asked for
            {"train.csv": "a,y\n1,0\n2,1\n", "test.csv": "a,y\n3,\n"},
            "--target is required for the table '{folder}/train.csv': name the column to predict, e.g. --target "
            "label; columns are: a, y",
        ),
    ],
    ids=["movielens", "kaggle"],
)
def test_an_archive_of_several_files_says_which_to_pass_where_it_was_unpacked(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    archive = tmp_path / "data.tgz"
    source = tmp_path / "source"
    with tarfile.open(archive, "w:gz") as packed:
        for name, text in files.items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_text(text, encoding="utf-8")
            packed.add(source / name, arcname=name)
    code, _, err = _run("fit", archive, *(["--target", "stars"] if "ml-100k/u.data" in files else []))
    assert code == 2
    lines = err.strip().splitlines()
    first, second = lines[0], lines[-1]
    assert len(lines) == (3 if "train.csv" in files else 2), err  # a folder of splits says how it reads them
    folder = first.split(" into '")[1].split("'")[0]
    assert first.startswith(f"unpacked '{archive}' ({len(files)} files,")
    assert second.startswith("error: ") and expected.format(folder=folder) in second
    assert "/unpacked/data-" in folder


def test_the_cache_command_lists_what_is_kept_and_clears_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainwell.core.archives import unpack

    cache = tmp_path / "cache"
    monkeypatch.setenv("TRAINWELL_CACHE", str(cache))
    archive = tmp_path / "ratings.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("ratings.csv", "user,item,rating\n" + "1,2,3\n" * 100)
    unpack(archive)
    (cache / "images").mkdir()
    (cache / "images" / "abc.npy").write_bytes(
        b"\0" * 3000
    )  # a decoded set: its pixels and its list of files
    (cache / "images" / "abc.json").write_text('{"kept": []}')
    code, out, err = _run("cache")
    assert code == 0, err
    flat = " ".join(out.split())
    assert f"trainwell's cache: {cache}" in flat
    assert "decoded images │ 1 │ 3.0 kB" in flat and f"unpacked archives │ 1 │ 617 bytes │ {archive}" in flat
    assert "3.6 kB in all; trainwell cache --clear removes it" in flat
    archive.unlink()
    assert f"{archive} (gone)" in " ".join(_run("cache")[1].split())
    code, out, err = _run("cache", "--clear")
    assert code == 0 and out.strip() == f"removed 3.6 kB from {cache}", err
    assert not (cache / "images").exists() and not (cache / "unpacked").exists()


def test_fit_reads_an_archive_by_its_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # https://files.grouplens.org/datasets/movielens/ml-100k.zip, as fastai's untar_data takes it: over loopback.
    import functools
    import http.server
    import threading

    monkeypatch.setenv("TRAINWELL_CACHE", str(tmp_path / "cache"))
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "rows.zip", "w") as packed:
        packed.writestr("rows.csv", binary_table().to_csv(index=False))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{httpd.server_address[1]}/rows.zip"
    try:
        code, _, err = _run("fit", address, "--target", "y", "--arch", "gbdt", "--out", tmp_path / "m")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert code == 0, err
    lines = [line for line in err.splitlines() if '"GET ' not in line]  # the server's own log aside
    assert lines[0].startswith(f"downloaded {address} (") and "/downloads/" in lines[0]
    assert lines[1].startswith("unpacked '") and lines[1].endswith("; reading 'rows.csv' inside")


def test_predictions_name_images_as_their_sources_were_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from trainwell.cli.predict_cmd import _as_given

    monkeypatch.setenv("TRAINWELL_CACHE", str(tmp_path / "cache"))
    downloaded = tmp_path / "cache" / "downloads" / "ab12" / "cat.jpg"
    inside = tmp_path / "cache" / "unpacked" / "new-77aa" / "new"
    predictions = pd.DataFrame(
        {
            "path": [str(downloaded), str(inside / "1.jpg"), "photos/dog.jpg"],
            "prediction": ["cat", "dog", "dog"],
        }
    )
    given = [Path("https://host/cat.jpg"), Path("new.zip"), Path("photos")]  # typer's Path of an address
    shown = _as_given(predictions, given, [downloaded, inside, Path("photos")])
    assert shown["path"].tolist() == ["https://host/cat.jpg", "new.zip/new/1.jpg", "photos/dog.jpg"]


def test_a_folder_of_one_archive_is_read_as_the_archive_and_movielens_as_its_ratings(tmp_path: Path) -> None:
    # MovieLens as shipped (ml-100k.tgz, a SOURCE.md beside it): fit on the folder read the archive's bytes as a
    # table and stopped with "_csv.Error: new-line character seen in unquoted field".
    rng = np.random.default_rng(0)
    source = tmp_path / "source" / "ml-100k"
    source.mkdir(parents=True)
    rows = [
        f"{u}\t{i}\t{int(rng.integers(1, 6))}\t88125{u:02d}{i:02d}\n"
        for u in range(1, 41)
        for i in range(1, 16)
    ]
    (source / "u.data").write_text("".join(rows))
    # Latin-1, as MovieLens ships it (its titles hold accented letters)
    titles = "".join(f"{i}|Film {i} (Été {1990 + i})|01-Jan-1995\n" for i in range(1, 16))
    (source / "u.item").write_bytes(titles.encode("latin-1"))
    (source / "README").write_text("SUMMARY & USAGE LICENSE\n")
    shipped = tmp_path / "movielens_100k"
    shipped.mkdir()
    (shipped / "SOURCE.md").write_text("# MovieLens 100k\n")
    with tarfile.open(shipped / "ml-100k.tgz", "w:gz") as packed:
        packed.add(source, arcname="ml-100k")
    code, out, err = _run("fit", shipped, "--epochs", "2", "--out", tmp_path / "model")
    assert code == 0, err
    said = " ".join(err.split())
    assert f"'{shipped}' holds one archive and no other data: reading ml-100k.tgz" in said
    assert (
        "u.data holds ratings without a header row (user, item, rating[, timestamp]): fit reads it as" in said
    )
    assert "recommend with: trainwell recommend" in out
    # The films' names, from u.item, are kept in the model: recommend shows them without --item-names.
    assert (tmp_path / "model" / "item_names.csv").is_file()
    code, out, err = _run(
        "recommend", tmp_path / "model", "--similar-to", "3", "--top", "2", "--min-users", "1"
    )
    assert code == 0, err
    header, first, *_ = out.splitlines()
    assert header == "rank,item,name,similarity,seen_by" and first.split(",")[2].startswith("Film ")
    assert "(Été 19" in out
    code, out, err = _run("info", tmp_path / "model")
    assert code == 0 and "15 kept in item_names.csv" in out, err
    from trainwell.core.archives import lone_data_file

    assert lone_data_file(shipped) == shipped / "ml-100k.tgz"
    (shipped / "notes.csv").write_text("a\n1\n")  # data beside it: the folder is read as it is
    assert lone_data_file(shipped) is None
    alone = tmp_path / "imdb_sample"  # one table beside its description: the table is the data
    alone.mkdir()
    (alone / "SOURCE.md").write_text("# a sample\n")
    (alone / "texts.csv").write_text("a\n1\n")
    assert lone_data_file(alone) == alone / "texts.csv"
