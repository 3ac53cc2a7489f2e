"""Boosted trees held as tensors (``arch="gbdt"``): scikit-learn's own predictions, number for number, then the
model directory, ONNX, the command line and cross-validation like any tabular model."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

import trainwell
from trainwell.cli.app import app
from trainwell.core.errors import ConfigError
from trainwell.tabular import tabular_data
from trainwell.tabular.gbdt import GradientBoostedTrees, fit_trees, tree_inputs


def mixed_table(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """Categories (one with hundreds of values: target-encoded or frequency-ranked for the trees), numbers with gaps, and three kinds of target."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue", "grey", "black"], n_rows)
    shop = rng.integers(0, 2000, n_rows).astype(str)
    size = rng.normal(size=n_rows)
    weight = rng.gamma(2.0, 3.0, n_rows)
    weight[rng.random(n_rows) < 0.1] = np.nan
    signal = size + (colour == "red") * 1.5 - 0.1 * np.nan_to_num(weight, nan=5.0) + 0.001 * shop.astype(int)
    return pd.DataFrame({
        "colour": colour, "shop": "s" + pd.Series(shop), "size": size, "weight": weight,
        "bought": np.where(signal + rng.normal(size=n_rows) > 0, "yes", "no"),
        "kind": pd.cut(signal + rng.normal(size=n_rows), [-np.inf, -1, 0.5, np.inf], labels=["a", "b", "c"]).astype(str),
        "price": 10 * signal + rng.normal(size=n_rows),
    })  # fmt: skip


@pytest.mark.parametrize("target", ["bought", "kind", "price"])
def test_the_trees_answer_as_scikit_learn_does(target: str) -> None:
    frame = mixed_table()
    others = [name for name in ("bought", "kind", "price") if name != target]
    # Every shop keeps a code of its own (min_category_count=1), so that "shop" has too many for a category split.
    data = tabular_data(
        frame, target, ignore=others, cat_names=["colour", "shop"], seed=0, min_category_count=1
    )
    # The trees' early stopping on an inner tenth, as scikit-learn's reference below stops (the validation rows'
    # early stopping: test_trees_train_on_every_training_row_and_stop_at_their_best_round_on_the_validation_rows)
    model, config = fit_trees(data, {"max_iter": 40}, stop_on_validation=False)
    assert json.dumps(config)  # the model spec is plain JSON; the trees are buffers
    # Rows it never saw, with an unseen category and missing numbers
    rows = mixed_table(200, seed=1)
    rows.loc[:9, "colour"] = "violet"
    rows.loc[10:19, "size"] = np.nan
    x_cat, x_cont = data.recipe.transform(rows)
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x_train, _, y = data.train.tensors  # type: ignore[attr-defined]
    cardinalities = data.model_hints["cardinalities"]
    assert cardinalities[1] - 1 > 255  # "shop": more categories than scikit-learn splits on
    # scikit-learn is given "shop" as the trees read it: target-encoded (binary, a number), frequency-ranked codes
    # (classes), fitted as fit_trees fits them
    from trainwell.tabular.gbdt import frequency_codes, remap_codes, target_encoding

    x_train = x_train.clone()
    if target == "kind":
        code_map = torch.from_numpy(frequency_codes(x_train[:, 1].numpy(), cardinalities[1]))[None]
        x_train, x_cat = (remap_codes(x, [1], code_map) for x in (x_train, x_cat))
    train_inputs, new_inputs = tree_inputs(x_train, data.train.tensors[1]), tree_inputs(x_cat, x_cont)  # type: ignore[attr-defined]
    if target != "kind":
        crossed, values = target_encoding(
            x_train[:, 1].numpy(), y.reshape(len(y)).double().numpy(), cardinalities[1], target == "price", 0
        )
        train_inputs[:, 1], new_inputs[:, 1] = crossed, values[x_cat[:, 1].numpy()]
    categorical = np.array(
        [j != 1 or target == "kind" for j in range(len(cardinalities))] + [False] * data.model_hints["n_cont"]
    )
    kind = HistGradientBoostingRegressor if target == "price" else HistGradientBoostingClassifier
    settings = {**model.settings}
    settings.pop("n_iter")
    reference = kind(categorical_features=categorical, random_state=0, **settings)
    labels = y.reshape(len(y)).double().numpy() if target == "price" else y.reshape(len(y)).long().numpy()
    reference.fit(train_inputs, labels)
    expected = reference._raw_predict(new_inputs)
    with torch.no_grad():
        got = model(x_cat, x_cont).numpy()
    assert got.shape == (200, data.task.n_outputs)
    np.testing.assert_allclose(got, expected.reshape(got.shape), rtol=1e-5, atol=1e-5)


def test_the_walk_that_leaves_finished_rows_behind_reaches_the_export_walks_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Predict drops (row, tree) pairs at a leaf and walks a few rows at a time; the export walks every pair to
    the deepest leaf in one piece. Both must land on the same leaves, for every chunk size; tables follow new
    trees loaded into the same model, and a model made under torch.inference_mode predicts too."""
    from trainwell.tabular import gbdt

    frame = mixed_table()
    data = tabular_data(frame, "kind", ignore=["bought", "price"], cat_names=["colour", "shop"], seed=0)
    model, config = fit_trees(data, {"max_iter": 30, "early_stopping": False})
    rows = mixed_table(300, seed=2)
    rows.loc[:20, "weight"] = np.nan
    rows.loc[21:40, "colour"] = "violet"
    x_cat, x_cont = data.recipe.transform(rows)
    codes = x_cat.float().masked_fill(x_cat == 0, float("nan"))
    inputs = torch.cat([codes, x_cont.float()], dim=1)
    with torch.no_grad():
        tables = model._tables(inputs.device)
        assert tables.categories is not None  # "colour" is split as a category
        fixed = model._walk(inputs, tables, leave_leaves=False)
        assert torch.equal(model._walk(inputs, tables), fixed)
        whole = model(x_cat, x_cont)
        monkeypatch.setattr(gbdt, "WALK_CELLS", 7 * model.feature.shape[0])  # 7 rows at a time
        assert torch.equal(model(x_cat, x_cont), whole)
        # Trees copied into a model that has already predicted (as loading does) are walked, not the old tables
        other, other_config = fit_trees(data, {"max_iter": 30, "early_stopping": False, "learning_rate": 0.3})
        empty = GradientBoostedTrees(**other_config)
        assert torch.equal(empty(x_cat, x_cont), torch.zeros(len(rows), 3))
        empty.load_state_dict(other.state_dict())
        assert torch.equal(empty(x_cat, x_cont), other(x_cat, x_cont))
        assert not torch.equal(empty(x_cat, x_cont), whole)
    with torch.inference_mode():
        made = GradientBoostedTrees(**config)
        made.load_state_dict(model.state_dict())
        assert torch.equal(made(x_cat, x_cont), whole)


def test_a_gbdt_model_directory_loads_exports_and_serves_like_the_mlp(tmp_path: Path) -> None:
    frame = mixed_table()
    run = trainwell.fit_table(frame, "bought", ignore=["kind", "price"], arch="gbdt", out=tmp_path / "m",
                              progress=False)  # fmt: skip
    assert isinstance(run.learn.model, GradientBoostedTrees)
    row = run.metrics
    assert row["valid_loss"] > 0 and 0.5 < row["roc_auc"] <= 1.0
    metadata = json.loads((tmp_path / "m" / "trainwell.json").read_text())
    assert metadata["architecture"]["name"] == "gbdt"
    predictor = trainwell.load(tmp_path / "m")
    probabilities, _ = run.learn.get_preds()
    valid_rows = frame.drop(columns=["kind", "price"]).iloc[: len(probabilities)]
    assert len(predictor.predict(valid_rows)) == len(valid_rows)
    from trainwell.export.onnx import export_onnx

    report = export_onnx(tmp_path / "m", inputs=frame.head(300))
    assert report.max_abs_diff <= 1e-5


def test_the_command_line_fits_and_cross_validates_trees(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    mixed_table().drop(columns=["kind", "price"]).to_csv(table, index=False)
    runner = CliRunner()
    done = runner.invoke(app, ["fit", str(table), "--target", "bought", "--arch", "gbdt", "--out", str(tmp_path / "m")],
                         env={"COLUMNS": "200"})  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "gbdt:" in done.output and "boosting rounds" in done.output
    assert "Validation results (binary)" in done.output  # trees have no epochs to count
    refused = runner.invoke(app, ["fit", str(table), "--target", "bought", "--arch", "gbdt", "--epochs", "3"])
    said = refused.output
    assert refused.exit_code == 2 and "--epochs is for the MLP; boosted trees (--arch gbdt) stop" in said
    assert "--lr" not in said and "gbdt_settings" not in said  # only the option given, as an option
    cv = runner.invoke(app, ["evaluate", str(table), "--target", "bought", "--arch", "gbdt", "--cv", "3",
                             "--no-baselines"], env={"COLUMNS": "200"})  # fmt: skip
    assert cv.exit_code == 0, cv.output
    assert "3-fold cross-validation" in cv.output and "roc_auc" in cv.output


def test_trees_take_one_target() -> None:
    frame = mixed_table()
    with pytest.raises(
        ConfigError,
        match=r"--arch gbdt fits one target \(binary, classes or one number\), not a regression task of 2",
    ):
        trainwell.fit_table(frame, ["price", "size"], arch="gbdt", progress=False)


def threshold_table(n_rows: int = 800, seed: int = 0) -> pd.DataFrame:
    """A target set by sharp thresholds on two numbers: what trees find at once and an MLP only approaches."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 10, n_rows), rng.uniform(0, 10, n_rows)
    noise = rng.random(n_rows) < 0.03
    label = ((a > 6.5) ^ (b < 2.5)) ^ noise
    return pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n_rows), "y": np.where(label, "yes", "no")})


@pytest.fixture(scope="module")
def auto_fit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """``fit_table(threshold_table(), "y", out=...)`` with arch='auto' (the default), fitted once for the tests
    that read it (none changes the run or its model directory): its run and its model directory."""
    out = tmp_path_factory.mktemp("auto") / "m"
    return trainwell.fit_table(threshold_table(), "y", out=out, progress=False), out


def test_auto_keeps_the_architecture_with_the_lower_validation_loss(auto_fit: tuple[Any, Path]) -> None:
    run, model_dir = auto_fit
    assert run.compared is not None and set(run.compared) == {"tabular_mlp", "gbdt"}
    losses = {name: row["valid_loss"] for name, row in run.compared.items()}
    assert run.arch == min(losses, key=losses.get) == "gbdt"  # trees split at the thresholds
    assert isinstance(run.learn.model, GradientBoostedTrees) and run.lr_find is None
    training = json.loads((model_dir / "trainwell.json").read_text())["training"]
    assert training["compared"]["gbdt"]["valid_loss"] == pytest.approx(losses["gbdt"])
    # The MLP the trees beat keeps its epochs and curves beside them (the trees' own history is one row); it was
    # compared at the epoch it keeps, that of its lowest validation loss, as the trees at their best round.
    beaten = pd.read_csv(model_dir / "mlp_history.csv")
    assert beaten["valid_loss"].min() == pytest.approx(losses["tabular_mlp"], rel=1e-4)
    assert run.learn.model.settings["stopped_on"] == "validation"
    assert len(beaten) > 1 and (model_dir / "mlp_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert not (model_dir / "curves.png").exists()
    # Setting the MLP's epochs or learning rate means the MLP; several targets too
    assert trainwell.fit_table(threshold_table(), "y", epochs=2, progress=False).arch == "tabular_mlp"
    frame = mixed_table()
    assert trainwell.fit_table(frame, ["price", "size"], progress=False).compared is None
    with pytest.raises(ConfigError, match=r"arch \(--arch\) 'forest' is not an architecture for tables"):
        trainwell.fit_table(frame, "bought", arch="forest")


def test_auto_keeps_the_trees_when_the_time_is_spent_before_the_mlp_can_train(tmp_path: Path) -> None:
    """evaluate --time 45s --cv 3 on California housing (20,640 rows) stopped with "the time budget of 3.8s was
    spent before training began": each fold's choice had a quarter of its share, which the trees used up, and
    the MLP's fit refused. The trees are a trained model: auto keeps them, warning that nothing was compared."""
    with pytest.warns(UserWarning, match=r"^the time budget of 1ms was spent on reading the data and the boosted "
                      r"trees before the MLP could train, so the trees are kept without being compared"):  # fmt: skip
        run = trainwell.fit_table(
            threshold_table(), "y", out=tmp_path / "m", time_budget=0.001, progress=False
        )
    assert run.arch == "gbdt" and run.compared is None and isinstance(run.learn.model, GradientBoostedTrees)
    assert run.learn.final_row["valid_loss"] < 0.3  # trained: the thresholds are learnt
    assert json.loads((tmp_path / "m" / "trainwell.json").read_text())["architecture"]["name"] == "gbdt"
    with (
        pytest.raises(ConfigError, match=r"the time budget of 1ms was spent before training began"),
        pytest.warns(UserWarning, match="the learning-rate finder would not have fit in the time budget"),
    ):
        trainwell.fit_table(threshold_table(), "y", arch="mlp", time_budget=0.001, progress=False)  # no trees


def test_auto_keeps_the_trees_when_the_learning_rate_finder_spends_what_they_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """evaluate --time 60s --cv 5 on California housing stopped the whole run with "the time budget of 3.0s was
    spent before training began ... pass --lr": the trees had left a little time, which the finder spent."""
    import time

    from trainwell.learner import Learner

    def slow_finder(self: Learner, time_limit: float | None = None, **kwargs: object) -> None:
        time.sleep(3.2)  # past the 3 s budget, which the trees (well under a second) left most of

    monkeypatch.setattr(Learner, "lr_find", slow_finder)
    monkeypatch.setattr("trainwell.tabular.pipeline.choose_lr", lambda finder: 1e-3)
    with pytest.warns(
        UserWarning, match=r"^the time budget of 3\.0s was spent on reading the data and the boosted"
    ):
        run = trainwell.fit_table(threshold_table(), "y", time_budget=3.0, progress=False)
    assert run.arch == "gbdt" and run.compared is None


def test_the_command_line_says_what_auto_kept_and_info_shows_both(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    threshold_table().to_csv(table, index=False)
    runner = CliRunner()
    done = runner.invoke(
        app, ["fit", str(table), "--target", "y", "--out", str(tmp_path / "m")], env={"COLUMNS": "250"}
    )
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert (
        "--arch auto: validation loss the MLP" in said
        and "kept boosted trees (--arch mlp fits the other" in said
    )
    # Said above the MLP's epoch rows too, which were followed by the trees' scores, explained only under them.
    said_first = said.index("boosted trees fitted first: validation loss")
    assert (
        said_first < said.index("epoch train_loss")
        and "is kept if the epoch it keeps has a validation loss no higher" in said
    )
    info = " ".join(
        runner.invoke(app, ["info", str(tmp_path / "m")], env={"COLUMNS": "250"})
        .output.replace("│", " ")
        .split()
    )
    assert "architecture gbdt" in info and "boosted trees valid_loss" in info and "(kept)" in info
    assert f"(the MLP the trees beat, its curves: {tmp_path / 'm' / 'mlp_curves.png'})" in said
    # Trees are fitted in one pass: no epochs and no training loss to show.
    assert " epochs " not in f" {info} " and "final train_loss" not in info


def test_evaluate_chooses_in_each_fold_on_rows_it_does_not_score_and_the_command_line_says_what(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ``trainwell evaluate --cv 3`` of the auto choice (the default), its fits real and only watched (it was
    two tests running the same evaluation, once in Python and once on the command line). It guards:
    (1) each fold chose the architecture of lower validation loss on an inner fifth of its training rows, never
    on the rows it scores, and the evaluation records each fold's choice; (2) the command line's JSON records the
    folds' choices and its line says what they chose."""
    from trainwell.tabular import evaluation as evaluation_module
    from trainwell.tabular import pipeline

    # What each fold's choice compared: the validation losses and the rows it read
    compared: list[tuple[float, float]] = []
    better = pipeline._better_trees
    monkeypatch.setattr(
        pipeline, "_better_trees",
        lambda trees, mlp: compared.append((trees["valid_loss"], mlp["valid_loss"])) or better(trees, mlp),
    )  # fmt: skip
    choices: list[tuple[list[int], list[int]]] = []
    fit_table = pipeline.fit_table

    def watched(*args: object, **kwargs: object) -> object:
        choices.append(kwargs["splits"])  # type: ignore[arg-type]
        return fit_table(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "fit_table", watched)
    evaluations: list[Any] = []
    evaluate_table = evaluation_module.evaluate_table

    def kept(*args: object, **kwargs: object) -> object:
        evaluations.append(evaluate_table(*args, **kwargs))  # type: ignore[arg-type]
        return evaluations[-1]

    monkeypatch.setattr(evaluation_module, "evaluate_table", kept)
    table = tmp_path / "t.csv"
    threshold_table(300).to_csv(table, index=False)
    done = CliRunner().invoke(app, ["evaluate", str(table), "--target", "y", "--cv", "3", "--no-baselines",
                                    "--json", str(tmp_path / "e.json")], env={"COLUMNS": "200"})  # fmt: skip
    assert done.exit_code == 0, done.output
    # (1) Each fold kept the architecture of lower validation loss on an inner fifth of its training rows, where
    # the trees stop at their best round as the MLP keeps its best epoch (on this table of 160 + 40 rows a fold)
    (evaluation,) = evaluations
    assert len(compared) == 3
    assert evaluation.archs == ["gbdt" if trees < mlp else "tabular_mlp" for trees, mlp in compared]
    assert evaluation.to_dict()["trainwell"]["archs"] == evaluation.archs
    for (inner_train, inner_valid), (scored, _, _) in zip(choices, evaluation.predictions, strict=True):
        assert len(inner_valid) == 40 and not set(inner_train + inner_valid) & set(scored.tolist())
    assert evaluation.model.summary(0.95)["roc_auc"].mean > 0.9
    # (2) The command line's record and line
    archs = json.loads((tmp_path / "e.json").read_text())["trainwell"]["archs"]
    assert archs == evaluation.archs
    assert len(archs) == 3 and set(archs) <= {"gbdt", "tabular_mlp"}
    # The line says what the folds chose (in the order first chosen), whichever won them
    names = {"gbdt": "boosted trees", "tabular_mlp": "the MLP"}
    chose = ", ".join(f"{names[name]} in {archs.count(name)} of 3 folds" for name in dict.fromkeys(archs))
    said = " ".join(done.output.split())
    # (said whichever won them: with every fold the MLP's, nothing said which model "trainwell" was)
    assert f"trainwell here is {chose} (each fold chose as fit --arch auto does)" in said


def test_classes_the_training_rows_lack_do_not_shift_the_others() -> None:
    # "rare" only in validation rows: scikit-learn fits the classes it sees, and the trees must put each one's
    # score in that class's column (all went to the wrong class before)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 3, 600)
    label = np.where(x < 1, "high", np.where(x < 2, "low", "mid"))
    frame = pd.DataFrame(
        {"x": x, "noise": rng.normal(size=600), "y": label, "is_valid": rng.random(600) < 0.25}
    )
    frame.loc[frame.index[frame["is_valid"]][:5], "y"] = "aaa_rare"
    run = trainwell.fit_table(frame, "y", valid_col="is_valid", arch="gbdt", progress=False)
    assert run.metrics["accuracy"] > 0.9
    probabilities, _ = run.learn.get_preds()
    rare = run.learn.task.classes.index("aaa_rare")
    assert float(probabilities[:, rare].max()) < 1e-6  # never seen in training: never predicted
    # Two classes of three in training: scikit-learn fits one binary output, read for the right class
    two = frame[frame["y"] != "mid"].copy()
    two.loc[two.index[two["is_valid"]][5:8], "y"] = "mid"
    run = trainwell.fit_table(two, "y", valid_col="is_valid", arch="gbdt", progress=False)
    # Scored on the validation rows of the two classes trained on (the 8 others are wrong whatever the trees do;
    # read from the wrong column, these would be too). The trees stop at their round of lowest validation loss,
    # which leaves 3 rows at the threshold on the wrong side.
    probabilities, targets = run.learn.get_preds()
    classes = run.learn.task.classes
    known = torch.tensor([classes[int(code)] in ("high", "low") for code in targets])
    assert int(known.sum()) > 90
    assert float((probabilities.argmax(1) == targets)[known].float().mean()) > 0.95


def test_a_class_of_one_training_row_fits_trees_without_early_stopping() -> None:
    frame = threshold_table(400)
    frame.loc[0, "y"] = "once"
    # No validation rows: the inner split cannot hold out a tenth of a class of one row
    run = trainwell.fit_table(frame, "y", arch="gbdt", valid_pct=0, seed=0, progress=False)
    assert run.learn.model.settings["early_stopping"] is False and run.learn.model.settings["n_iter"] <= 100
    # Validation rows: the trees stop on them, and a class of one training row splits nothing there
    run = trainwell.fit_table(frame, "y", arch="gbdt", valid_pct=0.2, seed=0, progress=False)
    assert run.learn.model.settings["early_stopping"] is True
    assert run.learn.model.settings["stopped_on"] == "validation"
    assert trainwell.fit_table(frame, "y", seed=0, progress=False).compared is not None  # auto still compares


def test_a_table_of_a_few_rows_fits_trees_without_early_stopping() -> None:
    # 5 rows: early stopping's tenth is 1 row for 2 classes; scikit-learn's "test_size = 1 should be greater or
    # equal to the number of classes = 2" stopped the fit.
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 3, 1, 5, 5], "y": ["yes", "no", "yes", "no", "yes"]})
    run = trainwell.fit_table(frame, "y", arch="gbdt", valid_pct=0, seed=0, progress=False)
    assert run.learn.model.settings["early_stopping"] is False


def test_trees_train_on_every_training_row_and_stop_at_their_best_round_on_the_validation_rows() -> None:
    """The trees stopped on an inner tenth of the training rows (trained on the other 90%), while the MLP kept its
    epoch of lowest loss on the validation rows the two were compared on: arch='auto' favoured the MLP. They now
    train on every training row and keep the round of lowest validation loss, as scikit-learn fits them given
    X_val; evaluate's folds (their validation rows are the scored ones) keep the inner tenth."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    data = tabular_data(threshold_table(), "y", seed=0)
    model, config = fit_trees(data)
    settings = config["settings"]
    assert settings["stopped_on"] == "validation" and settings["early_stopping"] is True
    (x_cat, x_cont, y), (v_cat, v_cont, v_y) = data.train.tensors, data.valid.tensors  # type: ignore[attr-defined,union-attr]
    mine = {k: v for k, v in settings.items() if k not in ("n_iter", "stopped_on")}
    reference = HistGradientBoostingClassifier(
        categorical_features=np.array([False] * 3), random_state=0, **mine
    ).fit(tree_inputs(x_cat, x_cont), y.reshape(-1).long().numpy(),
          X_val=tree_inputs(v_cat, v_cont), y_val=v_y.reshape(-1).long().numpy())  # fmt: skip
    scores = np.asarray(reference.validation_score_)  # minus the validation log loss, before any round first
    best = int(np.argmax(scores))
    assert settings["n_iter"] == best < reference.n_iter_  # the rounds past the best are dropped
    with torch.no_grad():
        logits = model(v_cat, v_cont).double().reshape(-1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, v_y.reshape(-1).double())
    assert float(loss) == pytest.approx(-scores[best], rel=1e-4)
    # Without validation rows, or asked not to read them: the inner tenth, as before
    _, inner = fit_trees(data, stop_on_validation=False)
    assert "stopped_on" not in inner["settings"] and inner["settings"]["n_iter"] != settings["n_iter"]
    # evaluate's fold trees never stop on the rows the fold scores
    from trainwell.tabular.evaluation import TabularFold

    frame = threshold_table(300)
    fold = TabularFold(frame, "y", data.task, ["roc_auc"], arch="gbdt")
    fold(np.arange(200), np.arange(200, 300), 0)
    assert "stopped_on" not in fold.specs[0]["config"]["settings"]


def test_balanced_trees_stop_on_the_weighted_validation_loss() -> None:
    """Under class_weight='balanced' the validation rows are weighed as the training rows are (scikit-learn
    weighs only the training rows it is given): the rounds are chosen on the weighted loss auto compares."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame = threshold_table(1000)
    frame["y"] = np.where((frame["a"] > 8) & (frame["b"] > 3), "yes", "no")  # about 14% yes
    data = tabular_data(frame, "y", seed=0)
    _, config = fit_trees(data, {"class_weight": "balanced"})
    settings = config["settings"]
    (x_cat, x_cont, y), (v_cat, v_cont, v_y) = data.train.tensors, data.valid.tensors  # type: ignore[attr-defined,union-attr]
    labels, valid_labels = y.reshape(-1).long().numpy(), v_y.reshape(-1).long().numpy()
    counts = np.bincount(labels)
    weights = (len(labels) / (2 * counts))[valid_labels]
    mine = {k: v for k, v in settings.items() if k not in ("n_iter", "stopped_on")}
    reference = HistGradientBoostingClassifier(
        categorical_features=np.array([False] * 3), random_state=0, **mine
    )
    reference.fit(tree_inputs(x_cat, x_cont), labels, X_val=tree_inputs(v_cat, v_cont), y_val=valid_labels,
                  sample_weight_val=weights)  # fmt: skip
    assert settings["n_iter"] == int(np.argmax(reference.validation_score_))


def test_the_report_on_trees_says_how_they_were_grown(auto_fit: tuple[Any, Path], tmp_path: Path) -> None:
    from trainwell.report import build_report

    run, model_dir = auto_fit  # fit_table(threshold_table(), "y"): auto keeps the trees here
    assert run.arch == "gbdt"
    page = build_report(model_dir, threshold_table().tail(200), tmp_path / "r.html").read_text(
        encoding="utf-8"
    )
    assert "Gradient-boosted trees (scikit-learn&#x27;s HistGradientBoosting, held as tensors)" in page or (
        "Gradient-boosted trees (scikit-learn's HistGradientBoosting, held as tensors)" in page
    )
    assert "Chosen over the MLP (fit --arch auto) by validation loss" in page
    # It said "stopped early ... when early stopping was on (True)": the setting, in words.
    assert "leaves a tree, stopped at the round of lowest loss on the validation rows." in page
    assert "early stopping was on" not in page


def test_evaluate_time_counts_the_folds_not_the_choices(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    threshold_table(300).to_csv(table, index=False)
    done = CliRunner().invoke(app, ["evaluate", str(table), "--target", "y", "--cv", "3", "--no-baselines",
                                    "--time", "30s"], env={"COLUMNS": "250"})  # fmt: skip
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    # Which kind each fold chose depends on how far its learning-rate sweep got in the time (a loaded machine cut
    # it, and the MLP then won a fold): the count of folds is what is checked.
    chosen = re.search(r"trainwell here is .+? in (\d) of (\d) folds", said)
    assert chosen is not None and chosen[2] == "3", said
    trees = re.search(r"boosted trees in (\d) of 3 folds", said)
    n_trees = int(trees[1]) if trees else 0
    # The inner choices are not folds (they were counted as such: "each of the 6 folds"); trees have nothing to cut,
    # so a budget line counts only the folds whose choice was the MLP, and says what the trees' folds took.
    assert "of the 6" not in said
    one_step = "in one step, which --time does not cut: "
    if n_trees == 3:  # trees in every fold: what they took, said plainly (it said nothing of time)
        assert "shared the" not in said
        assert re.search(
            r"time budget [^:]+: \S+ reading the data; boosted trees fitted all 3 folds " + one_step + r"\S+",
            said,
        ), said
    elif n_trees:  # trees and the MLP said apart: "cut 0 of the 1 fold trained by epochs short" was misread
        n = 3 - n_trees
        trees_said = r"; boosted trees fitted folds? [0-9, and]+ " + one_step + r"\S+ in all; "
        assert re.search(trees_said, said), said
        assert re.search(rf"folds? [0-9, and]+ \(the MLP\) {'was' if n == 1 else 'were'} given ", said), said
    else:
        assert "the 3 folds shared the" in said, said


def test_a_learner_of_trees_says_that_epochs_and_rates_change_nothing() -> None:
    # A tour: lr_find gave "points=0, suggestion=none" and fit_one_cycle(3, lr) three identical rows, unsaid.
    import warnings

    data = tabular_data(mixed_table(300), "bought", ignore=["kind", "price"], seed=0)
    learn = trainwell.tabular_learner(data, arch="gbdt", progress=False)
    with pytest.raises(
        ConfigError, match="GradientBoostedTrees is fitted in closed form when the learner is built"
    ):
        learn.lr_find()
    with pytest.warns(UserWarning, match=r"a fit only validates it, so 3 epochs give the same scores as one"):
        learn.fit_one_cycle(3, 1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit(1)  # what the pipelines run: one validating pass, nothing to say
    assert len({row["valid_loss"] for row in learn.history}) == 1
    with pytest.raises(
        ConfigError, match="fitted in closed form when the learner is built: there is nothing to fine-tune"
    ):
        learn.fine_tune(2)
    from trainwell.learner.summary import summary

    assert "fitted in closed form when the learner was built (no optimizer" in summary(learn)


def test_a_rows_answer_does_not_depend_on_the_rows_beside_it() -> None:
    # California housing's trees answered 86436.336 for a row sent among 3 rows and 86436.344 among 20: the float32
    # product that sums the trees rounded by the batch's shape.
    frame = mixed_table()
    run = trainwell.fit_table(frame, "price", arch="gbdt", progress=False)
    rows = frame.drop(columns=["price"]).head(64)
    together = run.learn.predict(rows)
    for start, size in ((0, 1), (5, 3), (10, 20)):
        alone = run.learn.predict(rows.iloc[start : start + size])
        assert alone["prediction"].tolist() == together["prediction"].iloc[start : start + size].tolist()


def test_auto_under_torchrun_says_it_trains_the_mlp_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tour's torchrun fit of 1,500 Adult rows kept the MLP (ROC AUC 0.854) where one process kept the trees
    (0.883), and said nothing: the choice is not a comparison there, and that is said once."""
    from trainwell.tabular.pipeline import _say_no_trees_under_torchrun, trees_apply

    data = trainwell.tabular_data(threshold_table(), "y")
    monkeypatch.setattr("trainwell.distributed.spread.trains_together", lambda: True)
    assert not trees_apply(data)
    with pytest.warns(
        UserWarning, match=r"^under torchrun arch='auto' trains the MLP alone: boosted trees"
    ) as said:
        _say_no_trees_under_torchrun(data)
    assert "--arch gbdt there" in said[0].message.command_line  # type: ignore[union-attr]
    monkeypatch.setattr("trainwell.distributed.spread.trains_together", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _say_no_trees_under_torchrun(data)  # one process compares them: nothing to say


def test_a_scikit_learn_without_x_val_stops_the_trees_on_an_inner_tenth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """scikit-learn takes X_val from 1.7 and trainwell asks for 1.3: an older fit stops on an inner tenth, as
    before, rather than failing on an unknown keyword."""
    import sklearn.ensemble
    from sklearn.ensemble import HistGradientBoostingClassifier

    class Older(HistGradientBoostingClassifier):
        def fit(self, X: object, y: object, sample_weight: object = None) -> Older:  # 1.6 and before
            return super().fit(X, y, sample_weight=sample_weight)

    data = tabular_data(threshold_table(), "y", seed=0)
    _, inner = fit_trees(data, stop_on_validation=False)
    monkeypatch.setattr(sklearn.ensemble, "HistGradientBoostingClassifier", Older)
    _, older = fit_trees(data)
    assert (
        "stopped_on" not in older["settings"] and older["settings"]["n_iter"] == inner["settings"]["n_iter"]
    )
