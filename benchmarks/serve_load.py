"""Load test of ``trainwell serve`` (torch and onnx backends) against a naive FastAPI endpoint, same model.

``--app tabular`` (the default) serves the Adult model (``--arch gbdt``: boosted trees, the model
``trainwell fit`` keeps on Adult, into ``serve_load_gbdt.json``), ``--app vision`` a small image model, ``--app both``
one after the other; each writes its own results file. ``--app lm`` measures ``POST /score`` of a language
model (see :func:`run_lm`).

The three servers run as uvicorn subprocesses on loopback (one worker, one model thread, no access log):

- **trainwell**: :func:`trainwell.serve.create_app` with ``backend="torch"`` (schema validation,
  micro-batching of concurrent requests);
- **onnx**: the same server with ``backend="onnx"``: onnxruntime runs ``model.onnx``, written by
  :func:`trainwell.export.onnx.export_onnx` (with its parity check) right after training;
- **naive**: a plain FastAPI endpoint (``def predict(body: dict)``, run in FastAPI's thread pool) that calls
  ``predictor.predict`` (PyTorch) once per request.

For each concurrency level (1, 8 and 64 clients, each sending one-row requests back to back over its own
keep-alive connection, with a minimal asyncio HTTP/1.1 client: see :class:`Connection`) the script sends a bounded number of requests (and stops a level after ``--seconds``), and
reports requests/s, p50/p90/p99 latency and the error count. Each level runs on the three servers in turn,
so a change in the machine's load hits all of them. Prints a table and writes ``benchmarks/results/serve_load.json``.

The model: the full Adult training file (``../shared/data/adult``, columns from ``adult.py``) when present,
else the embedded sample, trained for 2 epochs into a temporary directory. Requests carry rows of the test
split (or of the sample).

The image model (``--app vision``): the small CNN that ``vision_learner`` picks for 28x28 images, trained for
``--vision-epochs`` epochs on ``../shared/data/mnist_png_sample`` (1,000 training PNGs; unpacked once into
trainwell's cache, as ``trainwell fit`` unpacks an archive) when present, else on generated 28x28 PNGs of three shapes. Requests carry one PNG of the
validation split each, base64 in JSON (``{"images": ["..."]}``); the naive endpoint decodes the base64 and
calls ``ImagePredictor.predict`` once per request. Results: ``benchmarks/results/serve_load_vision.json``.

Targets (issue 3): at concurrency 64, at least 2x the naive throughput; at
concurrency 1, a p99 latency no worse than the naive one. The onnx server is compared with the torch one
(throughput at the highest level, p99 at the lowest): ``auto`` picks onnx when a parity-checked
``model.onnx`` is there, and these numbers say whether that is faster. The load generator shares the machine's CPU cores
with the server under test (and, on the CI machine, with other jobs): compare the two servers, not absolute
numbers across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from _common import REPO_ROOT, SHARED_DATA, machine_info, print_table, write_results

BENCHMARKS = Path(__file__).resolve().parent
NAIVE_MODEL_ENV = "SERVE_LOAD_NAIVE_MODEL"
LEVELS = (1, 8, 64)
REQUESTS = {1: 500, 8: 3000, 64: 6000}
WARMUP_PER_CONNECTION = 3


# --------------------------------------------------------------------------------------------- the servers
def naive_app() -> Any:
    """The baseline: one ``predictor.predict`` call per request, no validation beyond JSON, no batching."""
    import torch
    from fastapi import Body, FastAPI

    from trainwell.export import load

    torch.set_num_threads(1)
    predictor = load(os.environ[NAIVE_MODEL_ENV])
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        return {"predictions": predictor.predict(body["rows"]).to_dict(orient="records")}

    return app


def naive_vision_app() -> Any:
    """The image baseline: base64 decoded, then one ``ImagePredictor.predict`` call (one forward) per request."""
    import base64

    import torch
    from fastapi import Body, FastAPI

    from trainwell.export import load

    torch.set_num_threads(1)
    predictor = load(os.environ[NAIVE_MODEL_ENV])
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        images = [base64.b64decode(text) for text in body["images"]]
        return {"predictions": predictor.predict(images).to_dict(orient="records")}

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_process(factory: str, env: dict[str, str]) -> Iterator[str]:
    """Run ``uvicorn --factory FACTORY`` on a free loopback port; yield its URL once it answers /health."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--log-level", "warning", "--app-dir", str(BENCHMARKS),
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env, "OMP_NUM_THREADS": "1"}, cwd=REPO_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{factory} exited with {process.returncode} before answering")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


# --------------------------------------------------------------------------------------------- the load
class Connection:
    """A minimal HTTP/1.1 keep-alive client for one connection: POST a JSON body, read status and body.

    Why not httpx: on this machine its per-request cost capped the measurement (at 64 concurrent requests it
    delivered 170 requests/s against a server that answers 1,600/s to this client), so the benchmark would have
    measured the client. This one parses only what uvicorn sends (a ``content-length`` on every answer).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        response = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        start = response.index(b"content-length:") + len(b"content-length:")
        content = await self.reader.readexactly(int(response[start : response.index(b"\r\n", start)]))
        if b"connection: close" in response:
            await self.close()
        return int(response[9:12]), content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_level(
    url: str, bodies: list[bytes], concurrency: int, requests: int, seconds: float, path: str = "/predict"
) -> dict[str, Any]:
    """``concurrency`` clients, one connection each, send requests back to back until ``requests`` were sent
    or ``seconds`` are up; a few warm-up requests per connection first (not counted)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = float("inf")
    first_error: list[str] = []

    async def send(connection: Connection, index: int) -> bool:
        try:
            status, content = await connection.post(path, bodies[index % len(bodies)])
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            await connection.close()
            status, content = 0, repr(error).encode()
        if status != 200 and not first_error:
            first_error.append(f"{status}: {content[:300].decode(errors='replace')}")
        return status == 200

    async def client_loop(connection: Connection) -> None:
        nonlocal sent, errors
        while sent < requests and time.perf_counter() < deadline:
            index = sent
            sent += 1
            start = time.perf_counter()
            ok = await send(connection, index)
            latencies.append(time.perf_counter() - start)
            errors += not ok

    connections = [Connection(host, int(port)) for _ in range(concurrency)]
    for _ in range(WARMUP_PER_CONNECTION):
        await asyncio.gather(*(send(connection, 0) for connection in connections))
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(client_loop(connection) for connection in connections))
    elapsed = time.perf_counter() - start
    for connection in connections:
        await connection.close()
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "first_error": first_error[0] if first_error else None,
    }


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# ----------------------------------------------------------------------------------------------- the model
def training_and_request_rows(sample_only: bool) -> tuple[Any, list[dict[str, Any]], str]:
    import pandas as pd

    import adult
    from trainwell.datasets import adult_sample

    if adult.DATA.is_dir() and not sample_only:
        train, test = adult.load_split()
        rows = test.drop(columns=[adult.TARGET]).head(2000)
        for name in rows.columns:  # adult.test's comment line leaves "age" as text: send numbers as numbers
            if pd.api.types.is_numeric_dtype(train[name]):
                rows[name] = pd.to_numeric(rows[name])
        source = "Adult train file (32,561 rows)"
    else:
        sample = adult_sample()
        train, rows, source = sample, sample.drop(columns=[adult.TARGET]).tail(1000), "embedded Adult sample"
    return train, json.loads(rows.to_json(orient="records")), source


def train_model(train: Any, out: Path, epochs: int, arch: str = "mlp") -> None:
    import torch

    import trainwell

    torch.set_num_threads(2)
    if arch == "gbdt":  # fitted in closed form: no epochs or learning rate
        trainwell.fit_table(train, "income", out=out, arch="gbdt", progress=False)
    else:
        trainwell.fit_table(train, "income", out=out, epochs=epochs, lr=3e-3, progress=False)


# ------------------------------------------------------------------------------------------- image model
def image_folder(scratch: Path) -> tuple[Path, str]:
    """The MNIST PNG sample (``train/`` + ``valid/``, unpacked into trainwell's cache), else generated images under
    ``scratch``."""
    from trainwell.core.archives import unpacked

    archive = SHARED_DATA / "mnist_png_sample" / "mnist_png_sample.tgz"
    if archive.is_file():
        return Path(unpacked(archive)), "MNIST PNG sample (1,000 train / 200 valid, 28x28 grayscale)"
    return generated_images(scratch / "shapes"), "generated 28x28 PNGs of 3 shapes (600 train / 150 valid)"


def generated_images(root: Path, size: int = 28) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("train", 200), ("valid", 50)):
        for label in ("horizontal", "vertical", "square"):
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                pixels = rng.integers(0, 60, (size, size), dtype=np.uint8)
                start = int(rng.integers(2, size // 2))
                if label == "horizontal":
                    pixels[start : start + 4, 2:-2] = 230
                elif label == "vertical":
                    pixels[2:-2, start : start + 4] = 230
                else:
                    pixels[start : start + 9, start : start + 9] = 230
                Image.fromarray(pixels).save(folder / f"{index:03d}.png")
    return root


def train_image_model(folder: Path, out: Path, epochs: int) -> dict[str, Any]:
    import torch

    from trainwell.vision import image_data, vision_learner

    torch.set_num_threads(2)
    learn = vision_learner(image_data(folder), progress=False)
    learn.fit_one_cycle(epochs)
    learn.export(out)
    final = learn.validate()
    return {"arch": learn.model.net.__class__.__name__, "valid": {k: float(v) for k, v in final.items()}}


def run_vision(args: argparse.Namespace) -> Path:
    import base64

    with tempfile.TemporaryDirectory(prefix="serve-load-vision-") as scratch_name:
        scratch = Path(scratch_name)
        folder, source = image_folder(scratch)
        model_dir = scratch / "model"
        started = time.perf_counter()
        trained = train_image_model(folder, model_dir, args.vision_epochs)
        print(
            f"trained {trained['arch']} on the {source} for {args.vision_epochs} epochs in "
            f"{time.perf_counter() - started:.1f} s: {trained['valid']}"
        )
        valid = sorted((folder / "valid").rglob("*.png"))
        bodies = [json.dumps({"images": [base64.b64encode(p.read_bytes()).decode()]}).encode() for p in valid]
        onnx_check = export_model(model_dir, inputs=valid)
        results = measure(
            model_dir, bodies, args.levels, args.scale, args.seconds, "serve_load:naive_vision_app"
        )
    summary = report(results, f"one-image requests (base64 PNG), {source}")
    return write_results(
        "serve_load_vision",
        {
            "machine": machine_info(
                note="2 CPU cores shared by the servers, the load generator and other jobs"
            ),
            "settings": {
                "model": f"{trained['arch']} (vision_learner defaults) on the {source}",
                "validation": trained["valid"],
                "epochs": args.vision_epochs,
                "images_per_request": 1,
                "request_body": "application/json {images: [base64 PNG]}",
                "levels": args.levels,
                "scale": args.scale,
                "seconds_cap": args.seconds,
                "server": "uvicorn, 1 worker, 1 torch thread, no access log",
                "trainwell_options": {"max_batch": 64, "batch_wait_ms": 2.0, "backend": "torch"},
                "onnx_options": {"max_batch": 64, "batch_wait_ms": 2.0, "backend": "onnx"},
                "naive": "FastAPI def endpoint: base64 decode + ImagePredictor.predict per request",
                "onnx_export": onnx_check,
            },
            "results": results,
            "summary": summary,
        },
    )


# ------------------------------------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--app", choices=["tabular", "vision", "both", "lm"], default="tabular", help="which model to serve"
    )
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS), help="concurrency levels")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts (0.1: quick)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time cap per level and server")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--arch",
        choices=["mlp", "gbdt"],
        default="mlp",
        help="tables: the MLP (serve_load.json) or boosted trees (serve_load_gbdt.json)",
    )
    parser.add_argument("--vision-epochs", type=int, default=3, help="epochs of the image model")
    parser.add_argument(
        "--sample", action="store_true", help="use the embedded sample even if Adult is there"
    )
    args = parser.parse_args()
    if args.app in ("tabular", "both"):
        print(f"wrote {run_tabular(args)}")
    if args.app in ("vision", "both"):
        print(f"wrote {run_vision(args)}")
    if args.app == "lm":
        print(f"wrote {run_lm(args)}")
    return 0


LM_CORPUS = SHARED_DATA / "tinyshakespeare" / "input.txt.gz"


def run_lm(args: argparse.Namespace) -> Path:
    """``POST /score`` of a word-level AWD-LSTM language model, one line of text per request: the server
    merging concurrent requests into one call (``max_batch`` 64) against the same server taking them one call
    each (``max_batch`` 1: how ``/score`` ran before it was batched, each request in turn on the model).

    The model: the library's default AWD-LSTM on a CPU (embedding 256, 2 layers of 512), trained for one epoch on the
    first 2,000 lines of Tiny Shakespeare (``../shared/data/tinyshakespeare``) when present, else on generated
    sentences; the requests are lines from the rest of the text. The model's size, not its quality, is what
    the serving cost depends on.
    """
    import gzip

    from trainwell.text.lm_learner import fit_language_model

    if LM_CORPUS.is_file():
        with gzip.open(LM_CORPUS, "rt", encoding="utf-8") as corpus:
            lines = [line for line in corpus.read().splitlines() if line.strip()]
        source = "first 2,000 lines of Tiny Shakespeare"
    else:
        words = [
            "the",
            "a",
            "king",
            "queen",
            "saw",
            "found",
            "asked",
            "answered",
            "city",
            "sea",
            "night",
            "day",
        ]
        lines = [" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(8)) + " ." for i in range(3000)]
        source = "generated sentences (Tiny Shakespeare absent)"
    train, requests = lines[:2000], lines[2000:2600]
    bodies = [json.dumps({"texts": [line]}).encode() for line in requests]
    results: dict[str, list[dict[str, Any]]] = {"trainwell": [], "one_call_each": []}
    with tempfile.TemporaryDirectory(prefix="serve-load-lm-") as scratch:
        model_dir = Path(scratch) / "lm"
        started = time.perf_counter()
        fit_language_model(train, out=model_dir, epochs=1, progress=False)
        print(f"trained the language model on the {source} in {time.perf_counter() - started:.1f} s")
        factory = "trainwell.serve.app:app_from_env"
        batched = {
            "TRAINWELL_SERVE_MODEL": str(model_dir),
            "TRAINWELL_SERVE_OPTIONS": json.dumps({"threads": 1}),
        }
        single = {**batched, "TRAINWELL_SERVE_OPTIONS": json.dumps({"threads": 1, "max_batch": 1})}
        with uvicorn_process(factory, batched) as batched_url, uvicorn_process(factory, single) as single_url:
            for level in args.levels:
                count = max(20, int(REQUESTS.get(level, 1600) * args.scale))
                for name, url in (("trainwell", batched_url), ("one_call_each", single_url)):
                    result = asyncio.run(run_level(url, bodies, level, count, args.seconds, path="/score"))
                    results[name].append(result)
                    print(f"  {name:13s} c={level:<3d} {result['requests_per_s']:8.1f} req/s", flush=True)
    columns = ["concurrency", "requests", "errors", "requests_per_s", "p50_ms", "p90_ms", "p99_ms"]
    print_table(
        f"serve load: POST /score, one line per request, {source}",
        ["server", "concurrency", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms"],
        [[name, *(r[column] for column in columns)] for name in results for r in results[name]],
    )
    by_level = {name: {r["concurrency"]: r for r in rows} for name, rows in results.items()}
    high, low = max(args.levels), min(args.levels)
    ours, theirs = by_level["trainwell"], by_level["one_call_each"]
    summary = {
        f"throughput_ratio_c{high}": ours[high]["requests_per_s"] / theirs[high]["requests_per_s"],
        f"p99_ratio_c{low}": ours[low]["p99_ms"] / theirs[low]["p99_ms"],
        "valid": not any(r["first_error"] for rows in results.values() for r in rows),
    }
    print(
        f"throughput at concurrency {high}: {summary[f'throughput_ratio_c{high}']:.2f}x one call per request; "
        f"p99 latency at concurrency {low}: {summary[f'p99_ratio_c{low}']:.2f}x"
    )
    return write_results(
        "serve_load_lm",
        {
            "machine": machine_info(
                note="2 CPU cores shared by the servers, the load generator and other jobs"
            ),
            "settings": {
                "model": f"AWD-LSTM defaults, 1 epoch on the {source}",
                "texts_per_request": 1,
                "levels": args.levels,
                "scale": args.scale,
                "seconds_cap": args.seconds,
                "server": "uvicorn, 1 worker, 1 torch thread, no access log",
                "trainwell_options": {"max_batch": 64, "batch_wait_ms": 2.0},
                "one_call_each_options": {"max_batch": 1},
            },
            "results": results,
            "summary": summary,
        },
    )


def run_tabular(args: argparse.Namespace) -> Path:
    train, rows, source = training_and_request_rows(args.sample)
    bodies = [json.dumps({"rows": [row]}).encode() for row in rows]
    with tempfile.TemporaryDirectory(prefix="serve-load-") as scratch:
        model_dir = Path(scratch) / "model"
        started = time.perf_counter()
        train_model(train, model_dir, args.epochs, args.arch)
        trained = "boosted trees" if args.arch == "gbdt" else f"the MLP for {args.epochs} epochs"
        print(f"trained {trained} on the {source} in {time.perf_counter() - started:.1f} s")
        onnx_check = export_model(model_dir)
        results = measure(model_dir, bodies, args.levels, args.scale, args.seconds, "serve_load:naive_app")
    summary = report(results, f"one-row requests, {source}, {args.arch}")
    return write_results(
        "serve_load" if args.arch == "mlp" else f"serve_load_{args.arch}",
        {
            "machine": machine_info(
                note="2 CPU cores shared by the servers, the load generator and other jobs"
            ),
            "settings": {
                "model": source,
                "arch": args.arch,
                "epochs": args.epochs if args.arch == "mlp" else None,
                "rows_per_request": 1,
                "levels": args.levels,
                "scale": args.scale,
                "seconds_cap": args.seconds,
                "server": "uvicorn, 1 worker, 1 torch thread, no access log",
                "trainwell_options": {"max_batch": 64, "batch_wait_ms": 2.0, "backend": "torch"},
                "onnx_options": {"max_batch": 64, "batch_wait_ms": 2.0, "backend": "onnx"},
                "onnx_export": onnx_check,
            },
            "results": results,
            "summary": summary,
        },
    )


def export_model(model_dir: Path, inputs: Any = None) -> dict[str, Any]:
    """Write ``model.onnx`` (parity-checked against PyTorch on ``inputs``, else synthesised rows or images);
    return the check's figures."""
    from trainwell.export.onnx import export_onnx

    report = export_onnx(model_dir, inputs=inputs)
    print(
        f"exported to ONNX in {report.seconds:.1f} s; onnxruntime within {report.max_abs_diff:.2g} of PyTorch "
        f"on {report.n_rows_checked} {report.unit}"
    )
    return {
        "seconds": report.seconds,
        "max_abs_diff": report.max_abs_diff,
        "n_rows_checked": report.n_rows_checked,
        "opset": report.opset,
    }


def trainwell_env(model_dir: Path, backend: str) -> dict[str, str]:
    options = json.dumps({"threads": 1, "backend": backend})
    return {"TRAINWELL_SERVE_MODEL": str(model_dir), "TRAINWELL_SERVE_OPTIONS": options}


def measure(
    model_dir: Path, bodies: list[bytes], levels: list[int], scale: float, seconds: float, naive: str
) -> dict[str, list[dict[str, Any]]]:
    """The three servers up side by side (``naive``: the baseline's app factory); each level is run on each
    of them in turn."""
    results: dict[str, list[dict[str, Any]]] = {"trainwell": [], "onnx": [], "naive": []}
    factory = "trainwell.serve.app:app_from_env"
    with (
        uvicorn_process(factory, trainwell_env(model_dir, "torch")) as trainwell_url,
        uvicorn_process(factory, trainwell_env(model_dir, "onnx")) as onnx_url,
        uvicorn_process(naive, {NAIVE_MODEL_ENV: str(model_dir)}) as naive_url,
    ):
        for level in levels:
            count = max(20, int(REQUESTS.get(level, 1600) * scale))
            for name, url in (("trainwell", trainwell_url), ("onnx", onnx_url), ("naive", naive_url)):
                result = asyncio.run(run_level(url, bodies, level, count, seconds))
                results[name].append(result)
                print(f"  {name:9s} c={level:<3d} {result['requests_per_s']:8.1f} req/s", flush=True)
    return results


def report(results: dict[str, list[dict[str, Any]]], what: str) -> dict[str, Any]:
    """Print the table, any errors and the comparison with the targets; return the comparison."""
    columns = ["concurrency", "requests", "errors", "requests_per_s", "p50_ms", "p90_ms", "p99_ms"]
    print_table(
        f"serve load: {what}",
        ["server", "concurrency", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms"],
        [[name, *(r[column] for column in columns)] for name in results for r in results[name]],
    )
    failed = [(name, r) for name in results for r in results[name] if r["first_error"]]
    for name, r in failed:
        print(f"ERRORS from {name} at concurrency {r['concurrency']}: first one {r['first_error']}")
    summary = compare(results)
    for line in summary.pop("lines"):
        print(line if not failed else f"(not valid: requests failed) {line}")
    return {**summary, "valid": not failed}


def compare(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Throughput ratio at the highest level and p99 ratio at the lowest: trainwell (torch) against the
    naive server and the issue's targets, and the onnx backend against the torch one."""
    by_level = {name: {r["concurrency"]: r for r in rows} for name, rows in results.items()}
    levels = sorted(by_level["trainwell"])
    high, low = levels[-1], levels[0]

    def ratios(name: str, baseline: str) -> tuple[float, float]:
        ours, theirs = by_level[name], by_level[baseline]
        return (
            ours[high]["requests_per_s"] / theirs[high]["requests_per_s"],
            ours[low]["p99_ms"] / theirs[low]["p99_ms"],
        )

    speedup, p99_ratio = ratios("trainwell", "naive")
    summary: dict[str, Any] = {
        f"throughput_ratio_c{high}": speedup,
        f"p99_ratio_c{low}": p99_ratio,
        "lines": [
            f"throughput at concurrency {high}: {speedup:.2f}x the naive server (target >= 2x)",
            f"p99 latency at concurrency {low}: {p99_ratio:.2f}x the naive server's (target <= 1x)",
        ],
    }
    if "onnx" in by_level:
        onnx_speedup, onnx_p99 = ratios("onnx", "trainwell")
        summary[f"onnx_vs_torch_throughput_ratio_c{high}"] = onnx_speedup
        summary[f"onnx_vs_torch_p99_ratio_c{low}"] = onnx_p99
        summary["lines"] += [
            f"onnx backend, throughput at concurrency {high}: {onnx_speedup:.2f}x the torch backend",
            f"onnx backend, p99 latency at concurrency {low}: {onnx_p99:.2f}x the torch backend's",
        ]
    return summary


if __name__ == "__main__":
    sys.exit(main())
