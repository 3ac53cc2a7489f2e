"""Archives given as data are unpacked once into the cache, safely, whole or not at all."""

from __future__ import annotations

import io
import os
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from trainwell.core import archives
from trainwell.core.archives import archive_kind, unpack, unpacked
from trainwell.core.errors import DataError


def _tgz(path: Path, files: dict[str, bytes], *, links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return path


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def test_a_folder_inside_is_what_is_read_and_the_second_run_reuses_it(tmp_path: Path) -> None:
    archive = _tgz(tmp_path / "ml-100k.tgz", {"ml-100k/u.data": b"1\t2\t3\n", "ml-100k/u.item": b"2|Heat\n"})
    cache = tmp_path / "cache"
    first = unpack(archive, cache)
    assert first.fresh and first.files == 2 and first.size == 13
    assert first.path == first.folder / "ml-100k" and first.folder.parent == cache
    assert first.folder.name.startswith("ml-100k-")
    assert (first.path / "u.data").read_bytes() == b"1\t2\t3\n"
    assert first.describe(archive) == (
        f"unpacked '{archive}' (2 files, 13 bytes) into '{first.folder}'; reading 'ml-100k' inside"
    )
    second = unpack(archive, cache)
    assert not second.fresh and second.path == first.path
    assert second.describe(archive).startswith(f"'{archive}' was unpacked before into '{first.folder}'")
    # no temporary folder left; the marker names the archive the folder holds
    assert sorted(entry.name for entry in cache.iterdir()) == [
        first.folder.name,
        f"{first.folder.name}.source",
    ]
    os.utime(archive, ns=(0, 10**18))  # the archive changed: unpacked again, the old copy removed
    changed = unpack(archive, cache)
    assert changed.fresh and changed.folder != first.folder and changed.replaced == 1
    assert changed.describe(archive).endswith(
        "; reading 'ml-100k' inside; the copy of its earlier version removed"
    )
    assert sorted(entry.name for entry in cache.iterdir()) == [
        changed.folder.name,
        f"{changed.folder.name}.source",
    ]
    (tmp_path / "other").mkdir()
    other = _tgz(
        tmp_path / "other" / "ml-100k.tgz", {"ml-100k/u.data": b"1\t2\t3\n"}
    )  # same name elsewhere: kept
    assert unpack(other, cache).replaced == 0 and changed.folder.is_dir()


def test_several_files_are_read_as_their_folder_and_one_file_as_itself(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    kaggle = unpack(_zip(tmp_path / "titanic.zip", {"train.csv": b"a\n1\n", "test.csv": b"a\n2\n"}), cache)
    assert kaggle.path == kaggle.folder and sorted(p.name for p in kaggle.path.iterdir()) == [
        "test.csv",
        "train.csv",
    ]
    single = unpack(_zip(tmp_path / "train.csv.zip", {"train.csv": b"a\n1\n"}), cache)
    assert single.path == single.folder / "train.csv"
    assert single.folder.name.startswith("train.csv-")


def test_macos_companions_are_left_out_and_zip_names_stay_inside(tmp_path: Path) -> None:
    files = {
        "photos/cat/1.png": b"p",
        "__MACOSX/photos/cat/._1.png": b"junk",
        "photos/cat/._2.png": b"junk",
        "photos/.DS_Store": b"junk",
        "../escape.txt": b"x",
    }
    result = unpack(_zip(tmp_path / "photos.zip", files), tmp_path / "cache")
    written = sorted(str(p.relative_to(result.folder)) for p in result.folder.rglob("*") if p.is_file())
    assert written == ["escape.txt", "photos/cat/1.png"]  # zipfile drops the '..'
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize(
    ("files", "links"),
    [({"../outside.txt": b"x"}, None), ({"ok.txt": b"x"}, {"passwd": "/etc/passwd"})],
    ids=["dot-dot", "absolute-link"],
)
def test_a_tar_member_leading_out_is_refused_and_nothing_is_left(
    tmp_path: Path, files: dict[str, bytes], links: dict[str, str] | None
) -> None:
    archive = _tgz(tmp_path / "evil.tgz", files, links=links)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=r"holds a member that would land outside its folder .*; refused"):
        unpack(archive, cache)
    assert list(cache.iterdir()) == [] and not (tmp_path / "outside.txt").exists()


def test_damaged_empty_and_false_archives_say_so(tmp_path: Path) -> None:
    good = _tgz(tmp_path / "good.tgz", {f"f{i}.bin": os.urandom(50_000) for i in range(4)})
    damaged = tmp_path / "damaged.tgz"
    damaged.write_bytes(good.read_bytes()[:60_000])
    cache = tmp_path / "cache"
    with pytest.raises(
        DataError, match=r"archive '.*damaged.tgz' is a damaged tar file \(.*\); download or copy"
    ):
        unpack(damaged, cache)
    assert not cache.exists() or list(cache.iterdir()) == []
    with pytest.raises(DataError, match=r"archive '.*empty.zip' holds no files"):
        unpack(_zip(tmp_path / "empty.zip", {"folder/": b""}), cache)
    text = tmp_path / "notes.zip"
    text.write_text("not a zip")
    assert archive_kind(text) is None and unpacked(text) == text  # the reader that follows says what it is
    with pytest.raises(DataError, match="is not a zip or tar archive"):
        unpack(text, cache)
    assert unpacked(tmp_path) == tmp_path and unpacked("rows.csv") == "rows.csv"


def test_the_room_is_checked_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _zip(tmp_path / "big.zip", {"a.bin": b"0" * 1000})

    class Usage:
        free = 1000

    monkeypatch.setattr(archives.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(
        DataError, match=r"unpacking '.*big.zip' needs 1.0 kB and '.*' has 1.0 kB free: set TRAINWELL_CACHE"
    ):
        unpack(archive, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_copy_another_process_finished_first_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two torchrun processes unpacking at once: the one renaming second keeps the first's folder.
    archive = _zip(tmp_path / "data.zip", {"a.csv": b"a\n1\n", "b.csv": b"b\n2\n"})
    cache = tmp_path / "cache"
    extract = archives._extract

    def racing(archive: Path, kind: str, members: list[str], temp: Path) -> None:
        extract(archive, kind, members, temp)
        final = cache / archives._folder_name(archive)
        final.mkdir()
        (final / "a.csv").write_text("theirs")

    monkeypatch.setattr(archives, "_extract", racing)
    result = unpack(archive, cache)
    assert (result.folder / "a.csv").read_text() == "theirs"
    assert [entry.name for entry in cache.iterdir() if entry.is_dir()] == [result.folder.name]


def test_the_cache_is_trainwell_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINWELL_CACHE", str(tmp_path / "mine"))
    result = unpack(_zip(tmp_path / "data.zip", {"a.csv": b"a\n1\n"}))
    assert (
        result.folder.parent == tmp_path / "mine" / "unpacked"
        and unpacked(tmp_path / "data.zip") == result.path
    )


@pytest.mark.parametrize(
    ("name", "magic", "said"),
    [("data.7z", b"7z\xbc\xaf\x27\x1c\x00\x04", "a 7-Zip archive, which trainwell does not unpack: unpack it (7z x data.7z)"),
     ("data.rar", b"Rar!\x1a\x07\x01\x00", "a RAR archive, which trainwell does not unpack: unpack it (unrar x data.rar)")],
)  # fmt: skip
def test_7z_and_rar_archives_are_refused_with_the_command_that_unpacks_them(
    tmp_path: Path, name: str, magic: bytes, said: str
) -> None:
    # read as a CSV: "it holds NUL bytes, so it looks like a binary file or UTF-16 text (then pass --encoding utf-16)"
    from trainwell.data.io import read_table

    path = tmp_path / name
    path.write_bytes(magic + b"\x00binary")
    for reader in (read_table, unpacked):
        with pytest.raises(DataError, match=re.escape(said)):
            reader(path)
