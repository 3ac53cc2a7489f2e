"""A report from what a model directory recorded, when no labelled data is given (``trainwell report MODEL``).

It shows the training curves and history, the figures fit measured on its validation rows (and a test set's,
kept), and how the model was trained; it says plainly that none of them has an interval, and what ``--data``
adds. Every kind of model directory has these records, so it works for all of them alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trainwell
from trainwell.report import _html

#: History columns that are not measurements of the model.
_NOT_FIGURES = ("fit", "epoch", "lr", "time")


def recorded_sections(model_dir: Path, metadata: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The introduction and sections of a report on ``model_dir`` from its ``trainwell.json`` alone."""
    from trainwell.report.build import _training_section

    training = metadata.get("training") or {}
    intro = [
        _html.paragraph(
            f"{_subject(metadata)}. Model directory: {model_dir}. trainwell {trainwell.__version__}."
        ),
        _html.paragraph(
            "No data was given: this page shows what the model directory recorded when the model was trained. Its "
            "figures were measured by fit on its own validation rows, which the directory does not keep, so none "
            "has an interval and the choices made on those rows (the epoch kept, the architecture, a threshold) "
            "flatter them a little. Pass labelled rows the model has not trained on (trainwell report MODEL --data "
            "FILE) for metrics with 95% intervals, the errors and, for tables, the importance of each input.",
            note=True,
        ),
    ]
    sections = [
        _training_section(model_dir, metadata),
        _figures_section(training),
        _settings_section(metadata),
    ]
    return intro, sections


def _subject(metadata: dict[str, Any]) -> str:
    task = metadata.get("task") or {}
    kind = str(task.get("kind") or "a")
    application = {"tabular": "table", "vision": "image", "text": "text", "collab": "ratings"}.get(
        str(metadata.get("application")), str(metadata.get("application") or "")
    )
    targets = ", ".join(f"'{name}'" for name in task.get("target_names") or [])
    kind = {"language_model": "language", "tagging": "sequence-labelling"}.get(kind, kind)
    what = f"{kind} model of {application} data".replace("  ", " ")
    return f"A {what}" + (f" predicting {targets}" if targets else "")


def _figures_section(training: dict[str, Any]) -> str:
    final = {key: value for key, value in (training.get("final") or {}).items() if key not in _NOT_FIGURES}
    test = dict(training.get("test") or {})
    # The test set's loss, beside the validation rows' on one row.
    if "loss" in test and "valid_loss" in final:
        test["valid_loss"] = test.pop("loss")
    names = list(dict.fromkeys([*final, *test]))
    if not names:
        return _html.section(
            "recorded",
            "Recorded figures",
            [_html.paragraph("The model directory records no figures.", note=True)],
        )
    weights = training.get("weights_from_epoch")
    kept = f"validation (epoch {weights}, the weights kept)" if weights else "validation (last epoch)"
    header = ["metric", kept, *(["test set"] if test else [])]
    rows = [[name, final.get(name, ""), *([test.get(name, "")] if test else [])] for name in names]
    body = [_html.table(header, rows)]
    if test:
        body.append(
            _html.paragraph(
                "The test set was scored once, after training, with the model kept: the fairest of these figures."
            )
        )
    return _html.section("recorded", "Recorded figures", body)


def _settings_section(metadata: dict[str, Any]) -> str:
    training = metadata.get("training") or {}
    architecture = metadata.get("architecture") or {}
    rows: list[list[Any]] = [["architecture", architecture.get("name", "")]]
    lineage = training.get("pretrained")
    if isinstance(lineage, dict) and lineage:  # fine-tuned from another model (--pretrained)
        from trainwell.core.lineage import fine_tuned_from

        rows.append(["fine-tuned from", fine_tuned_from(lineage)])
    for key, label in (
        ("loss", "loss"),
        ("optimizer", "optimizer"),
        ("weight_decay", "weight decay"),
        ("gradient_clip", "gradient clip (largest norm)"),
        ("precision", "forward pass float type"),
        ("epochs", "epochs recorded"),
    ):
        if training.get(key) is not None:
            rows.append([label, training[key]])
    stop = training.get("early_stopping")
    if isinstance(stop, dict):
        stopped = stop.get("stopped_after_epoch")
        rows.append(
            [
                "early stopping",
                f"{stop.get('monitor')}, patience {stop.get('patience')}: "
                + (f"stopped after epoch {stopped}" if stopped else "ran every epoch"),
            ]
        )
    compared = training.get("compared")
    if isinstance(compared, dict) and compared:
        chosen = ", ".join(
            f"{name} (valid_loss {_html.format_value((row or {}).get('valid_loss'))})"
            for name, row in compared.items()
        )
        rows.append(["architectures compared", f"{chosen}; kept: {architecture.get('name', '')}"])
    return _html.section("settings", "How it was trained", [_html.table(["setting", "value"], rows)])
