"""A client can tell which model answered: ``GET /metadata`` gives the SHA-256 of ``model.safetensors`` (its
first 12 hex digits as ``model_version``) and the directory's creation time, every answer carries the same
version in ``X-Model-Version``, and ``/docs`` names it; on real loopback HTTP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
from serve_support import LIMITS, start_server

from trainwell.serve import create_app


def test_metadata_headers_and_docs_name_the_model(model_dir: Path, new_rows: list[dict[str, Any]]) -> None:
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    created = json.loads((model_dir / "trainwell.json").read_text())["created"]
    server = start_server(create_app(model_dir, threads=1, **LIMITS))
    try:
        metadata = httpx.get(f"{server.url}/metadata", timeout=60)
        answered = httpx.post(f"{server.url}/predict", json={"rows": new_rows[:2]}, timeout=60)
        refused = httpx.post(f"{server.url}/predict", json={"rows": []}, timeout=60)
        health = httpx.get(f"{server.url}/health", timeout=60)
        docs = httpx.get(f"{server.url}/docs", timeout=60).text
        openapi = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    finally:
        server.stop()
    versions = metadata.json()["versions"]
    assert versions["model_version"] == digest[:12]
    assert versions["model_sha256"] == digest
    assert versions["created"] == created and created
    assert answered.status_code == 200 and refused.status_code == 422
    for response in (answered, refused, health, metadata):
        assert response.headers["x-model-version"] == digest[:12]
        assert response.headers["x-request-id"]
    assert f"Model version {digest[:12]}" in docs
    assert "model_version" in openapi["components"]["schemas"]["Versions"]["properties"]
