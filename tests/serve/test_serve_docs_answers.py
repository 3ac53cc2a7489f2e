"""The /docs page of a real server shows what a caller gets back: each answer's fields, and the model's own answer
to the page's example request; its numbers read as numbers; its tables fit a phone."""

from __future__ import annotations

import html
import json
import re
import urllib.request

from serve_support import LiveServer

from trainwell.serve.schema import readable


def _page(live: LiveServer) -> str:
    with urllib.request.urlopen(f"{live.url}/docs", timeout=60) as response:
        return response.read().decode()


def _post(live: LiveServer, body: str) -> object:
    request = urllib.request.Request(
        f"{live.url}/predict", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_the_docs_show_the_models_answer_to_the_example_and_describe_every_field(live: LiveServer) -> None:
    page = _page(live)
    predict = page[page.index("<code>/predict</code>") :]
    # The page documented the request only: a caller never saw {"predictions": [...]}, nor unseen in a table.
    assert "Answer (status 200, JSON):" in predict
    for field in ("predictions", "prediction", "probabilities", "unseen"):
        assert re.search(rf"<tr><td><code>{field}</code></td>.*?</td><td>[^<]+</td></tr>", predict), field
    example = html.unescape(re.search(r"-d '(.*?)'</pre>", predict).group(1))  # type: ignore[union-attr]
    shown = html.unescape(
        re.search(r"as this model gives it:</p><pre>(.*?)</pre>", predict, re.S).group(1)  # type: ignore[union-attr]
    )
    assert json.loads(shown) == _post(
        live, example
    )  # the page's answer is the server's, to the page's request
    assert set(json.loads(shown)["predictions"][0]) == {"prediction", "probabilities", "unseen"}
    assert _page(live) == page  # asked once, then kept


def test_ranges_are_written_in_full_and_tables_become_cards_on_a_phone(live: LiveServer) -> None:
    page = _page(live)
    # "[-1.27499e+07, 1.275e+07]": exponents and uneven precision in the continuous inputs' descriptions.
    assert "Values outside [" in page and not re.search(r"Values outside \[[^]]*e[+-]", page)
    assert "width=device-width" in page and "@media (max-width:40rem)" in page
    assert readable(-12749935.4) == "-12,749,935" and readable(1.275e7) == "12,750,000"
    assert readable(28.9683) == "28.97" and readable(0.58214) == "0.5821" and readable(80.0) == "80"


def test_a_text_inputs_example_holds_the_words_a_typical_row_holds() -> None:
    # Titanic's Name was shown as "mr miss mrs": its first three words at once, a name nobody has.
    import warnings

    import numpy as np
    import pandas as pd

    from trainwell.serve.schema import input_specs
    from trainwell.tabular.recipe import TabularRecipe

    rng = np.random.default_rng(0)
    titles = rng.choice(["Mr", "Mrs", "Miss"], p=[0.6, 0.25, 0.15], size=600)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    names = [f"{''.join(rng.choice(letters, 7)).title()}, {title}. Owen" for title in titles]
    survived = np.isin(titles, ["Mrs", "Miss"]) ^ (rng.random(600) < 0.05)
    frame = pd.DataFrame({"Name": names, "fare": rng.normal(30, 10, 600), "Survived": survived.astype(int)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recipe = TabularRecipe.fit(frame, target="Survived")
    assert {"mr", "miss", "mrs"} <= set(recipe.words["Name"])
    (text,) = [spec for spec in input_specs(recipe) if spec.kind == "text"]
    assert text.typical == "mr"  # the only title more than half the rows hold
