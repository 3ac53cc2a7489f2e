"""Data given by its http(s) address is downloaded once into the cache, over real HTTP on loopback."""

from __future__ import annotations

import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from trainwell.core.archives import unpacked
from trainwell.core.downloads import address_of, fetch, is_address
from trainwell.core.errors import DataError
from trainwell.data.io import read_table


class _Files(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path == "/short.csv":  # announces more than it sends: a cut connection
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"a,b\n1,2\n")
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "rows.csv").write_text("x,y\n1,a\n2,b\n3,a\n")
    with zipfile.ZipFile(site / "ratings.zip", "w") as packed:
        packed.writestr("ml/u.data", "1\t2\t3\t4\n")
    _Files.requests = []
    handler = lambda *args: _Files(*args, directory=str(site))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_file_is_downloaded_once_and_read_from_the_cache(server: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fetch(f"{server}/rows.csv", cache)
    assert first.fresh and first.size == 16 and first.path.name == "rows.csv"
    assert (
        first.describe(f"{server}/rows.csv") == f"downloaded {server}/rows.csv (16 bytes) into '{first.path}'"
    )
    again = fetch(Path(f"{server}/rows.csv"), cache)  # a Path of the address (its // made /) works alike
    assert not again.fresh and again.path == first.path and _Files.requests == ["/rows.csv"]
    assert [p.name for p in first.path.parent.iterdir()] == ["rows.csv"]  # no temporary file left


def test_tables_and_archives_are_read_by_their_address(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINWELL_CACHE", str(tmp_path / "cache"))
    assert read_table(f"{server}/rows.csv").to_dict("list") == {"x": [1, 2, 3], "y": ["a", "b", "a"]}
    inside = Path(unpacked(f"{server}/ratings.zip"))
    assert inside.name == "ml" and (inside / "u.data").read_text() == "1\t2\t3\t4\n"


def test_a_failed_download_says_why_and_leaves_nothing(server: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(
        DataError, match=r"could not download .*/missing.csv: the server answered 404 File not found; check"
    ):
        fetch(f"{server}/missing.csv", cache)
    with pytest.raises(DataError, match=r"the server announced 1,000 bytes and sent 8; check the address"):
        fetch(f"{server}/short.csv", cache)
    with pytest.raises(DataError, match=r"could not download http://127.0.0.1:1/x.csv: .*refused"):
        fetch("http://127.0.0.1:1/x.csv", cache)
    assert not cache.exists() or list(cache.rglob("*")) == []


def test_addresses_are_told_from_paths() -> None:
    assert is_address("https://host/a.csv") and is_address(Path("http://host/a.csv"))
    assert not is_address("data/https.csv") and not is_address(Path("rows.csv")) and not is_address(None)
    assert address_of(Path("https://host/d/a.zip")) == "https://host/d/a.zip"
    with pytest.raises(DataError, match="is not an http:// or https:// address of a file"):
        fetch("ftp://host/a.csv")
