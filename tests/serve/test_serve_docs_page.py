"""The offline /docs page: what a browser opened at the server's address finds, on a wide and a narrow window."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from trainwell.serve.docs_page import docs_html, install_docs


class _Generate(BaseModel):
    prompt: str
    n_words: int = Field(50, ge=1, le=1000, description="Tokens to sample.")


def _app() -> FastAPI:
    app = FastAPI(title="a model", docs_url=None, redoc_url=None)

    @app.post("/generate")
    def generate(body: _Generate) -> dict[str, str]:
        return {"text": body.prompt}

    # As the image server declares its form: in the schema, read by hand (no python-multipart).
    form = {
        "type": "object",
        "properties": {"images": {"type": "array", "items": {"type": "string", "format": "binary"}}},
    }

    @app.post(
        "/upload", openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": form}}}}
    )
    async def upload(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    install_docs(app)
    return app


def test_the_servers_address_leads_to_the_docs() -> None:
    # http://127.0.0.1:8000/ in a browser answered {"detail": "Not Found"}.
    client = TestClient(_app())
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/docs"
    assert "<code>/generate</code>" in client.get("/").text
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_tables_scroll_on_a_narrow_window_and_limits_read_as_written() -> None:
    page = docs_html(_app().openapi())
    # At 400 px a field table wider than the page made the whole page scroll sideways.
    assert page.count("<table>") == page.count("<div class='scroll'><table>") >= 1
    assert "minimum 1, maximum 1000" in page  # not "minimum 1.0, maximum 1000.0"


def test_a_form_that_takes_files_gets_a_curl_line_that_sends_one() -> None:
    page = docs_html(_app().openapi())
    assert re.search(r"curl -X POST http://HOST:PORT/upload -F &#x27;images=@image.png&#x27;", page)
