"""``trainwell info`` on a model directory whose trainwell.json names an architecture this version does not have
(saved by a newer version, or edited by hand): the table, then one line naming it, the known ones and the fix,
exit 2, without importing torch."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import run_cli


def test_info_names_an_architecture_this_version_lacks(model_dir: Path, tmp_path: Path) -> None:
    edited = tmp_path / "newer"
    edited.mkdir()
    for name in ("model.safetensors", "trainwell.json"):
        (edited / name).write_bytes((model_dir / name).read_bytes())
    metadata = json.loads((edited / "trainwell.json").read_text(encoding="utf-8"))
    metadata["architecture"]["name"] = "tab_transformer"
    metadata["trainwell_version"] = "9.0.0"
    (edited / "trainwell.json").write_text(json.dumps(metadata), encoding="utf-8")
    result = run_cli("info", edited)
    assert result.returncode == 2, result.explain()
    assert "tab_transformer" in result.stdout  # the table is shown first, as for damaged weights
    said = " ".join(result.stderr.split())
    assert said.startswith(
        f"error: model directory '{edited}': architecture 'tab_transformer' is not one this version of trainwell "
        "knows (saved by trainwell 9.0.0; known: awd_lstm, awd_lstm_lm, bilstm_crf, "
    ), result.explain()
    assert said.endswith(
        "xresnet50); upgrade trainwell to load it, or, if it is your own, import the module that registers it "
        "(@register_model('tab_transformer')) and load it in Python"
    ), result.explain()
    healthy = run_cli("info", model_dir)
    assert healthy.returncode == 0 and healthy.stderr == "", healthy.explain()
