"""``GET /docs``: the API as one self-contained HTML page, drawn from the app's OpenAPI schema.

FastAPI's own pages (Swagger UI, ReDoc) load their scripts from a CDN, so a server without internet access,
where models are often deployed, showed a blank page. This page needs nothing from outside: each endpoint with
its method, what it does, the fields of its JSON body (type, whether required, limits, description), a
``curl`` line to try it, the fields of its answer and the answer itself: the server asks itself each example once,
in process, when the page is first opened, so the example answer is the model's own. ``/openapi.json`` still gives
the full schema for tools.
"""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

__all__ = ["docs_html", "install_docs"]

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1f24;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-top:1px solid #d0d7de;padding-top:1rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
pre{background:#f6f8fa;padding:.75rem;overflow-x:auto;border-radius:6px}
.method{display:inline-block;min-width:3.5rem;font-weight:600;color:#fff;border-radius:4px;padding:0 .4rem;
text-align:center;margin-right:.5rem}.get{background:#1f6feb}.post{background:#2da44e}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f6f8fa}.scroll{overflow-x:auto}
@media (max-width:40rem){body{margin:1rem auto}.scroll table,.scroll tbody,.scroll tr,.scroll td{display:block}
.scroll tr:first-child{display:none}.scroll tr{border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;
padding:.25rem 0}.scroll td{border:none;padding:.1rem .5rem}.scroll td:nth-child(2)::before{content:"type: "}
.scroll td:nth-child(3)::before{content:"required: "}}
"""

#: An example answer longer than this (characters of JSON) is left to the curl line: GET /metadata lists every
#: known value of every column.
LONGEST_ANSWER = 3000
#: Seconds the page waits for one example answer (a language model's /generate samples its words).
ANSWER_WAIT_S = 60.0


def install_docs(app: FastAPI) -> None:
    """Serve :func:`docs_html` at ``/docs`` (the app must be built with ``docs_url=None, redoc_url=None``), and
    send a browser opened at the server's address (``/``) there rather than to a bare 404."""
    answers: dict[str, Any] = {}
    asked = asyncio.Lock()

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        schema = app.openapi()
        async with asked:  # once per server: the answers of the examples, as the model gives them
            if not answers:
                answers.update(await example_answers(app, schema))
                answers.setdefault("", None)  # asked, even where nothing answered
        # The examples name the address the page was asked at, so that they run as copied.
        return HTMLResponse(docs_html(schema, str(request.base_url).rstrip("/"), answers))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")


async def example_answers(app: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """The answer of each endpoint to the page's own example (its JSON body, or a plain GET), by ``"METHOD
    /path"``, asked of the ASGI ``app`` in process: only successful JSON answers, each waited for
    :data:`ANSWER_WAIT_S` at most. An example the model refuses is left out (the page shows the answer's shape)."""
    components = schema.get("components", {}).get("schemas", {})
    answers: dict[str, Any] = {}
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            json_body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if method == "post" and "schema" in json_body:
                body: bytes | None = json.dumps(
                    _example(_resolve(json_body["schema"], components), components)
                ).encode()
            elif method == "get":
                body = None
            else:
                continue
            try:
                status, content = await asyncio.wait_for(_ask(app, method, path, body), ANSWER_WAIT_S)
                if status == 200:
                    answers[f"{method.upper()} {path}"] = json.loads(content)
            except (TimeoutError, ValueError):
                continue
    return answers


async def _ask(app: Any, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
    """One request to an ASGI ``app``, without a socket: its status and body."""
    headers = [(b"host", b"docs"), (b"accept", b"application/json")]
    if body is not None:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method.upper(),
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body or b"", "more_body": False}
        await asyncio.Event().wait()  # the client never leaves: whoever waits for it is cancelled at the end
        return {"type": "http.disconnect"}

    status, chunks = 0, []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def docs_html(
    schema: dict[str, Any], base: str = "http://HOST:PORT", answers: dict[str, Any] | None = None
) -> str:
    """The page for an OpenAPI ``schema``: every path and method, its body fields, an example request sent
    to ``base`` (the server's address), its answer's fields and an example answer: the one in ``answers``
    (:func:`example_answers`) where given, else one drawn from the answer's schema."""
    info = schema.get("info", {})
    title = str(info.get("title", "API"))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{_e(str(info.get('description', '')))}</p>",
        f"<p>Version {_e(str(info.get('version', '')))}. The full schema for tools: "
        "<a href='/openapi.json'>/openapi.json</a>.</p>",
    ]
    components = schema.get("components", {}).get("schemas", {})
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            parts.append(_operation(path, method, operation, components, base))
            parts.append(_answer(f"{method.upper()} {path}", operation, components, answers or {}))
    parts.append("</body></html>")
    return "\n".join(parts)  # a line a part: an example's curl line ends its line of the page's source


def _answer(key: str, operation: dict[str, Any], components: dict[str, Any], answers: dict[str, Any]) -> str:
    """The successful answer of an operation: its fields, and the example's answer."""
    media = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
    schema = _resolve(media.get("schema", {}), components)
    out = []
    if schema.get("properties"):
        out.append("<p>Answer (status 200, JSON):</p>" + _fields(schema, components))
    if key in answers:
        shown, said = answers[key], "The example's answer, as this model gives it:"
    elif schema.get("properties"):
        shown, said = _example(schema, components), "An answer of this shape (values made up):"
    else:
        return "".join(out)
    text = json.dumps(shown, indent=2)
    if len(text) > LONGEST_ANSWER:
        return "".join(out) + "<p>Its answer is long: the curl line above shows it.</p>"
    return "".join(out) + f"<p>{said}</p><pre>{_e(text)}</pre>"


def _operation(
    path: str, method: str, operation: dict[str, Any], components: dict[str, Any], base: str
) -> str:
    summary = operation.get("summary") or operation.get("operationId", "")
    out = [
        f"<h2><span class='method {_e(method)}'>{_e(method.upper())}</span><code>{_e(path)}</code></h2>",
        f"<p><b>{_e(str(summary))}</b></p>",
    ]
    if operation.get("description"):
        out.append(f"<p>{_e(str(operation['description']))}</p>")
    body = operation.get("requestBody", {}).get("content", {})
    json_body = body.get("application/json", {}).get("schema")
    if json_body is not None:
        resolved = _resolve(json_body, components)
        out.append("<p>JSON body:</p>" + _fields(resolved, components))
        example = _example(resolved, components)
        out.append(
            "<pre>curl -X POST " + _e(base + path) + " -H 'Content-Type: application/json' -d '"
            + _e(json.dumps(example)) + "'</pre>"
        )  # fmt: skip
    for content_type, media in body.items():
        if content_type == "application/json":
            continue
        out.append(f"<p>Also accepts <code>{_e(content_type)}</code>.</p>")
        files = _file_fields(_resolve(media.get("schema", {}), components), components)
        if content_type == "multipart/form-data" and files:
            # Files are what a form is for: a line that sends one works as it stands (the JSON line cannot
            # carry a real file's base64 in a page).
            sent = " ".join(f"-F '{name}=@{name.rstrip('s')}.png'" for name in files)
            out.append(f"<pre>curl -X POST {_e(base + path)} {_e(sent)}</pre>")
        if content_type == "image/*":  # one image file as the body
            sent = "--data-binary @image.png -H 'Content-Type: image/png'"
            out.append(f"<pre>curl -X POST {_e(base + path)} {_e(sent)}</pre>")
    if method == "get":
        out.append(f"<pre>curl {_e(base + path)}</pre>")
    return "".join(out)


def _file_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The fields of a form ``schema`` that take files (binary strings, or lists of them)."""
    names = []
    for name, field in schema.get("properties", {}).items():
        field = _resolve(field, components)
        item = _resolve(field.get("items", {}), components) if field.get("type") == "array" else field
        if item.get("format") == "binary":
            names.append(name)
    return names


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> str:
    properties = schema.get("properties", {})
    if not properties:
        return f"<p><code>{_e(_type(schema, components))}</code></p>"
    required = set(schema.get("required", []))
    # In a scrolling box: on a phone-width window a table wider than the page scrolls on its own.
    rows = ["<div class='scroll'><table><tr><th>field</th><th>type</th><th>required</th><th>about</th></tr>"]
    for name, field in properties.items():
        field = _resolve(field, components)
        about = str(field.get("description", ""))
        limits = [  # 1 to 1000, not 1.0 to 1000.0 (the schema writes an integer field's bounds as floats)
            f"{key} {field[key]:g}" if isinstance(field[key], int | float) else f"{key} {field[key]}"
            for key in ("minimum", "maximum", "minItems", "maxItems")
            if key in field
        ]
        if limits:
            about = f"{about} ({', '.join(limits)})" if about else ", ".join(limits)
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td><td>{_e(_type(field, components))}</td>"
            f"<td>{'yes' if name in required else 'no'}</td><td>{_e(about)}</td></tr>"
        )
    rows.append("</table></div>")
    for name, field in properties.items():  # a list of objects (the rows of /predict): their fields too
        items = _resolve(_resolve(field, components).get("items", {}), components)
        if items.get("properties"):
            rows.append(f"<p>Each item of <code>{_e(name)}</code>:</p>" + _fields(items, components))
    return "".join(rows)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        # The field's own words (its description) beside the reference win over the referred model's.
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        return {**components.get(reference.rsplit("/", 1)[-1], {}), **siblings}
    return schema


def _type(schema: dict[str, Any], components: dict[str, Any]) -> str:
    schema = _resolve(schema, components)
    if "enum" in schema:  # the labels a class is one of say more than the types they may take
        return " | ".join(map(json.dumps, schema["enum"]))
    if "anyOf" in schema:
        return " or ".join(_type(option, components) for option in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}), components)}"
    if "enum" in schema:
        return " | ".join(map(json.dumps, schema["enum"]))
    return str(kind)


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value of ``schema``: its example or default where given, else a placeholder of its type."""
    schema = _resolve(schema, components)
    for key in ("example", "default"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if schema.get("enum"):  # a class label: one of the model's, not the text "text"
        return schema["enum"][0]
    if schema.get("contentEncoding") == "base64":
        return "BASE64_OF_THE_FILE"  # a placeholder that says what goes there, not the text "text"
    if schema.get("examples"):
        return schema["examples"][0]
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if _resolve(o, components).get("type") != "null"]
        return _example(options[0], components, depth) if options else None
    kind = schema.get("type")
    if depth > 4:
        return None
    if kind == "object":
        # A body of alternatives ({"texts"} or {"words"}) lists each one's fields under oneOf: show the first.
        alternatives = [option["required"] for option in schema.get("oneOf", []) if option.get("required")]
        required = schema.get("required") or (
            alternatives[0] if alternatives else list(schema.get("properties", {}))
        )
        properties = schema.get("properties", {})
        shares = [_resolve(field, components) for field in properties.values()]
        if shares and all(field.get("type") == "number" and field.get("maximum") == 1 for field in shares):
            # Probabilities of classes, alike and summing to 1, not 1.0 each
            return {name: round(1 / len(shares), 4) for name in properties}
        return {name: _example(properties[name], components, depth + 1) for name in required
                if name in properties}  # fmt: skip
    if kind == "array":
        return [_example(schema.get("items", {}), components, depth + 1)]
    return {"string": "text", "integer": 1, "number": 1.0, "boolean": True}.get(str(kind))


def _e(text: str) -> str:
    return html.escape(text, quote=True)
