"""A report from what a model directory recorded, when no labelled data is given (``trainwell report MODEL``).

It shows the training curves and history, the figures fit measured on its validation rows (and a test set's,
kept), and how the model was trained; it says plainly that none of them has an interval, and what ``--data``
adds. Every kind of model directory has these records, so it works for all of them alike.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from trainwell.core.numbers import figure
from trainwell.report import _html

#: History columns that are not measurements of the model.
_NOT_FIGURES = ("fit", "epoch", "lr", "time")


def recorded_sections(model_dir: Path, metadata: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The introduction and sections of a report on ``model_dir`` from its ``trainwell.json`` alone."""
    from trainwell.report.build import _training_section, fitted_without_batches

    training = metadata.get("training") or {}
    unit = _examples(metadata)
    # A language model is judged on plain held-out text; every other model on examples with their answers.
    judged = "held-out" if (metadata.get("task") or {}).get("kind") == "language_model" else "labelled"
    intro: list[str] = [
        # The header's Model and Evaluated on lines (build's _page), as every report opens.
        _html.facts(
            _subject(metadata), f"no data given: the figures fit recorded on its own validation {unit}"
        ),
        _html.paragraph(
            "No data was given: this page shows what the model directory recorded when the model was trained. Its "
            f"figures were measured by fit on its own validation {unit}, which the directory does not keep, so "
            f"none has an interval and the choices made on those {unit} (the epoch kept, the architecture, a "
            f"threshold) flatter them a little. Pass {judged} {unit} the model has not trained on (trainwell "
            f"report MODEL --data {'FOLDER' if unit == 'images' else 'FILE'}) for metrics with 95% intervals, "
            "the errors and, for tables, the importance of each input.",
            note=True,
        ),
    ]
    sections = [
        _training_section(model_dir, metadata),
        _figures_section(training, one_step=fitted_without_batches(metadata), unit=unit),
        _settings_section(metadata),
    ]
    return intro, sections


def _examples(metadata: dict[str, Any]) -> str:
    """What the model was judged on, in words: images, sentences (a tagger), texts, else rows (tables, ratings)."""
    application = metadata.get("application")
    if application == "vision":
        return "images"
    if application == "text":
        return "sentences" if (metadata.get("task") or {}).get("kind") == "tagging" else "texts"
    return "rows"


def _subject(metadata: dict[str, Any]) -> str:
    """The model as the header's Model line says it for a report with data: "binary text classifier predicting
    'sentiment' (neg, pos)", "language model", "tagger predicting 'tag' of each word", "recommender"."""
    from types import SimpleNamespace

    from trainwell.report.build import classes_words, model_words

    task = metadata.get("task") or {}
    kind = str(task.get("kind") or "")
    names = [str(name) for name in task.get("target_names") or []]
    targets = ", ".join(f"'{name}'" for name in names)
    predicting = f" predicting {targets}" if targets else ""
    application = str(metadata.get("application") or "")
    if kind == "language_model":
        return "language model"
    if kind == "tagging":
        return f"tagger{predicting} of each word"
    if application == "collab":
        return f"recommender{predicting}"
    if kind in ("binary", "multiclass", "multilabel", "regression"):
        words = {"tabular": "table", "vision": "image", "text": "text"}.get(
            application, application or "table"
        )
        described = SimpleNamespace(kind=kind, target_names=names, classes=list(task.get("classes") or []))
        return f"{model_words(described, words)}{predicting}{classes_words(described)}"
    return f"{kind or 'a'} model of {application or 'unknown'} data{predicting}"


def _figures_section(training: dict[str, Any], one_step: bool = False, unit: str = "rows") -> str:
    """The figures fit measured; ``one_step``: a model fitted in one step (no epochs to name); ``unit``: what the
    model's examples are (rows, images, texts...), naming the validation ones each figure was measured on."""
    final = {key: value for key, value in (training.get("final") or {}).items() if key not in _NOT_FIGURES}
    test = dict(training.get("test") or {})
    # The test set's loss, beside the validation rows' on one row.
    if "loss" in test and "valid_loss" in final:
        test["valid_loss"] = test.pop("loss")
    # A figure never measured (boosted trees' train_loss: no training batches) is left out, not a blank row.
    names = [
        name
        for name in dict.fromkeys([*final, *test])
        if final.get(name) is not None or test.get(name) is not None
    ]
    if not names:
        return _html.section(
            "recorded",
            "Recorded figures",
            [_html.paragraph("The model directory records no figures.", note=True)],
        )
    weights = training.get("weights_from_epoch")
    # The column holds train_loss beside the validation figures: it says when they were measured, and each row
    # on which rows (a header "validation" read train_loss as a validation figure).
    kept = f"epoch {weights} (the weights kept)" if weights else "after fitting" if one_step else "last epoch"
    header = ["metric", "measured on", kept, *(["test set"] if test else [])]
    rows = [
        [
            name,
            "the training batches" if name.startswith("train_") else f"the validation {unit}",
            final.get(name, ""),
            *([test.get(name, "")] if test else []),
        ]
        for name in names
    ]
    body = [_html.table(header, rows)]
    if test:
        body.append(
            _html.paragraph(
                "The test set was scored once, after training, with the model kept: the fairest of these figures."
            )
        )
    return _html.section("recorded", "Recorded figures", body)


def _settings_section(metadata: dict[str, Any]) -> str:
    from trainwell.report.build import fitted_without_batches

    training = metadata.get("training") or {}
    architecture = metadata.get("architecture") or {}
    rows: list[list[Any]] = [["architecture", architecture.get("name", "")]]
    lineage = training.get("pretrained")
    if isinstance(lineage, dict) and lineage:  # fine-tuned from another model (--pretrained)
        from trainwell.core.lineage import fine_tuned_from

        rows.append(["fine-tuned from", fine_tuned_from(lineage)])
    folded = training.get("folded_in")
    if isinstance(folded, list) and folded:  # a recommender's fold-ins after training, oldest first
        from trainwell.collab.fold_in_record import folded_in_words

        rows.extend(["folded in", folded_in_words(record)] for record in folded if isinstance(record, dict))
    one_step = fitted_without_batches(metadata)
    # trainwell.json records the gradient settings of every fit; a model fitted in one step never used them.
    rows.extend(_one_step_rows(metadata) if one_step else _gradient_rows(training))
    compared = training.get("compared")
    if isinstance(compared, dict) and compared:
        chosen = ", ".join(
            f"{name} (valid_loss {_html.format_value((row or {}).get('valid_loss'))})"
            for name, row in compared.items()
        )
        rows.append(["architectures compared", f"{chosen}; kept: {architecture.get('name', '')}"])
    board = training.get("leaderboard")
    if isinstance(board, dict) and board.get("candidates"):  # fit --arch auto's leaderboard, with intervals
        rows.append(["leaderboard (same validation rows, 95% intervals)", _leaderboard_words(board)])
    title = "How it was fitted: settings" if one_step else "How it was trained"
    # A setting as it was given (learning rate 0.1, dropout 0.25), not padded to a figure's 4 decimals.
    shown = [[name, _html.datum(value)] for name, value in rows]
    return _html.section("settings", title, [_html.table(["setting", "value"], shown)])


def _leaderboard_words(board: dict[str, Any]) -> str:
    """``fit --arch auto``'s leaderboard (``training.leaderboard``) in one cell: each candidate's validation loss
    and main metric with their 95% intervals, fit seconds and prediction time, the one kept, and how sure the
    choice is (its note, with the command that compares the two on folds)."""
    names = {"tabular_mlp": "MLP", "gbdt": "boosted trees", "constant": "constant"}
    metric = str(board.get("metric") or "metric")

    def bounds(pair: Any, like: Any) -> str:
        if not isinstance(pair, list) or len(pair) != 2 or None in pair:
            return "[not estimable]"
        return str(_html.interval(float(pair[0]), float(pair[1]), like=size(like)))

    def size(value: Any) -> float | None:
        return abs(float(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def number(value: Any, pair: Any) -> str:
        # in its interval's form: 1.955e9 [1.795e9, 2.118e9], not one whole and one compact
        bounds = [size(bound) for bound in pair] if isinstance(pair, list) else []
        like = max((bound for bound in bounds if bound is not None and math.isfinite(bound)), default=None)
        return figure(float(value), like=like) if size(value) is not None else _html.format_value(value)

    parts = []
    for row in board.get("candidates") or []:
        if not isinstance(row, dict):
            continue
        said = (
            f"{names.get(str(row.get('name')), row.get('name'))}{' (kept)' if row.get('kept') else ''}: valid_loss "
            f"{number(row.get('valid_loss'), row.get('valid_loss_interval'))} "
            f"{bounds(row.get('valid_loss_interval'), row.get('valid_loss'))}, {metric} "
            f"{number(row.get('metric'), row.get('metric_interval'))} {bounds(row.get('metric_interval'), row.get('metric'))}"
        )
        if isinstance(row.get("fit_seconds"), int | float):
            said += f", fit {row['fit_seconds']:.1f} s"
        if isinstance(row.get("predict_ms_per_1000_rows"), int | float):
            said += f", predict {row['predict_ms_per_1000_rows']:.1f} ms per 1,000 rows"
        parts.append(said)
    return f"on {board.get('rows_validated', 0):,} rows: " + "; ".join(parts) + f". {board.get('note', '')}"


def _gradient_rows(training: dict[str, Any]) -> list[list[Any]]:
    """The settings of a model trained by gradient steps over batches."""
    rows: list[list[Any]] = []
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
    return rows


#: Boosted trees' settings (scikit-learn's names, as trainwell.json keeps them) in words, in the table's order;
#: the rounds and their stopping are one row before these, and a setting not named here is shown by its name.
_TREE_SETTINGS = (
    ("learning_rate", "learning rate"),
    ("max_leaf_nodes", "leaves a tree, at most"),
    ("min_samples_leaf", "training rows a leaf, at least"),
    ("l2_regularization", "L2 regularisation of the leaf values"),
)
_ROUNDS = ("n_iter", "max_iter", "early_stopping", "validation_fraction", "n_iter_no_change", "stopped_on")


def _one_step_rows(metadata: dict[str, Any]) -> list[list[Any]]:
    """The settings of a model fitted in one step: boosted trees' as ``trainwell info`` words them, EASE's λ."""
    architecture = metadata.get("architecture") or {}
    config = architecture.get("config") or {}
    if architecture.get("name") == "ease":
        return [
            [name, config[key]]
            for key, name in (
                ("lam", "λ (L2 regularisation of the item weights)"),
                ("n_interactions", "training interactions"),
            )
            if config.get(key) is not None
        ]
    if architecture.get("name") != "gbdt":
        return []
    settings = dict(config.get("settings") or {})
    kind = str((metadata.get("task") or {}).get("kind") or "")
    loss = settings.pop("loss", None) or ("squared error" if kind == "regression" else "log loss")
    rows: list[list[Any]] = [["loss the trees minimise", loss], ["boosting rounds", _rounds(settings)]]
    if isinstance(config.get("n_trees"), int):
        per = (
            f", {config['n_trees'] // max(1, int(settings.get('n_iter') or 1))} a round"
            if kind == "multiclass"
            else ""
        )
        rows.append(["trees", f"{config['n_trees']:,}{per}, the deepest {config.get('max_depth')} levels"])
    rows.extend([name, settings[key]] for key, name in _TREE_SETTINGS if settings.get(key) is not None)
    named = {key for key, _ in _TREE_SETTINGS} | set(_ROUNDS)
    rows.extend([key, value] for key, value in settings.items() if key not in named and value is not None)
    return rows


def _rounds(settings: dict[str, Any]) -> str:
    """How many boosting rounds were kept and how they were chosen, as ``trainwell info`` says it."""
    rounds, most = settings.get("n_iter"), settings.get("max_iter")
    stopping = settings.get("early_stopping", True)
    if stopping is False:
        return f"{rounds} (a fixed number: no early stopping)"
    patience = settings.get("n_iter_no_change")
    after = f", after {patience} rounds without improvement" if patience else ""
    if settings.get("stopped_on") == "validation":  # trees fitted with validation rows stop on them
        return f"{rounds} (early stopping on the validation rows{after}, the round of lowest loss kept, at most {most})"
    fraction = settings.get("validation_fraction") or 0.1
    inner = "an inner tenth" if fraction == 0.1 else f"an inner {float(fraction):.0%}"
    when = "" if stopping is True else f" ({stopping!r}: scikit-learn's, on when there are over 10,000 rows)"
    return f"{rounds} (early stopping{when} on {inner} of the training rows{after}, at most {most})"


def fit_baselines_note(
    metadata: dict[str, Any], baselines: dict[str, str], what: str, unit: str
) -> str | None:
    """A paragraph giving the baselines fit scored beside the model on its own validation ``unit`` (``baselines``:
    each baseline's history column by the model's metric, ``rmse`` -> ``rmse_biases``; ``what``: the baseline in
    words), or ``None`` when fit recorded none. Fit showed them and the report's test metrics did not; the report
    cannot score them on its own rows, since they are fitted on the training rows the directory does not keep."""
    training = metadata.get("training") or {}
    final = training.get("final") or {}
    pairs = [
        (metric, final.get(metric), final[column])
        for metric, column in baselines.items()
        if isinstance(final.get(column), (int, float))
    ]
    if not pairs:
        return None
    from trainwell.core.numbers import figure

    figures = "; ".join(
        f"{metric} {figure(baseline)}"
        + (f" where the model scored {figure(model)}" if isinstance(model, (int, float)) else "")
        for metric, model, baseline in pairs
    )
    return (
        f"As fit measured it on the model's own validation {unit}: {what} scored {figures}. It is "
        f"fitted on the training {unit}, which the model directory does not keep, so the report cannot score it on "
        "these: set it beside the model's validation figure, not beside the figures above."
    )
