"""``trainwell evaluate`` under the real ``torchrun`` (Gloo, CPU): the folds are shared out over the processes,
each trained alone, and the report is the one a single process prints, number for number (what rank 0 gathers
from the others' folds: ``test_distributed_evaluate_gathered.py``).

Each process's own output is read from torchrun's per-rank logs (``--log-dir``, ``--redirects 3``), so the
tests see that rank 1 prints nothing, not only that the output holds one report.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from torchrun_support import launch, one_process

from text_samples import reviews
from trainwell.datasets import adult_sample

SEVERAL = Path(__file__).with_name("several_commands.py")
DONE = re.compile(r"several_commands: done \d+\n")  # rank 0's mark after each command that ended well
AT_CHANCE = ("--epochs", "1", "--lr", "1e-6")  # one epoch at a tiny rate: no fold learns anything


def one_value_table(path: Path) -> None:
    """Column z holds one value (row 5): the fold whose training rows leave it out drops z with a warning."""
    rng = np.random.default_rng(0)
    x1, city = rng.normal(size=180), rng.choice(["north", "south", "east"], 180)
    z = np.full(180, np.nan)
    z[5] = 1.0
    y = np.where(x1 + (city == "north") > 0.3, "yes", "no")
    pd.DataFrame({"x1": x1, "city": city, "z": z, "y": y}).to_csv(path, index=False)


def test_evaluate_under_torchrun_reports_as_one_process_on_a_table_and_texts_and_refuses_a_language_model(
    tmp_path: Path,
) -> None:
    # The four commands run one after another in the same two processes (several_commands.py, as torchrun -m
    # trainwell runs each): a launch costs seconds of imports in each process. Each is read from its own output.
    adult_sample().head(240).to_csv(tmp_path / "adult.csv", index=False)
    reviews(200, positive_every=2).to_csv(tmp_path / "reviews.csv", index=False)
    pd.DataFrame({"text": ["a b c d"] * 20}).to_csv(tmp_path / "corpus.csv", index=False)
    one_value_table(tmp_path / "z.csv")
    # 3 folds over 2 processes: rank 0 trains folds 1 and 3, rank 1 fold 2 (an odd share). The MLP with its
    # learning-rate finder, then the baselines on the same folds.
    table = ("evaluate", "adult.csv", "--target", "income", "--cv", "3", "--arch", "mlp", "--epochs", "2")
    texts = ("evaluate", "reviews.csv", "--text", "review", "--target", "sentiment", "--cv", "3", *AT_CHANCE)
    warned = ("evaluate", "z.csv", "--target", "y", "--cv", "3", "--arch", "mlp", "--epochs", "2")
    language_model = ("evaluate", "corpus.csv", "--text", "text", "--task", "language_model")
    single_table, single_texts = one_process(tmp_path, *table), one_process(tmp_path, *texts)
    single_warned = one_process(tmp_path, *warned, "--no-baselines")
    # A --time never reached adds its line and changes nothing else.
    code, [(out, err), (out_1, err_1)] = launch(
        tmp_path,
        SEVERAL,
        *table,
        "--time",
        "3m",
        "+",
        *texts,
        "+",
        *warned,
        "--no-baselines",
        "+",
        *language_model,
    )
    assert code != 0  # the language model's refusal, last, ends the launch
    # The table and the texts were evaluated: their commands ended well (else the launch had ended there).
    table_out, texts_out, warned_out, _ = DONE.split(out)
    table_err, texts_err, warned_err, language_model_err = DONE.split(err)
    assert (out_1, err_1) == (
        "",
        "",
    )  # rank 1 trains its folds and says nothing, and leaves the refusal to rank 0

    # Each process holds the budgets of its own folds: they are gathered before rank 0 says what --time allowed.
    said = re.findall(
        r"time budget 3m: \S+ reading the data and \S+ scoring the baselines; the 3 folds ran side by side in 2 "
        r"processes, each within 1m \(an even share of the whole budget\); no fold was cut short \(fold 1: ",
        table_out,
    )
    assert len(said) == 1, table_out
    lines = table_out.splitlines(keepends=True)
    report = "".join(line for line in lines if not line.startswith("time budget 3m:"))
    assert report == single_table.stdout  # the same table: every fold, every baseline, every verdict
    assert "3-fold cross-validation (binary, 240 rows)" in table_out and "HistGradientBoosting" in table_out
    assert table_err.count("cross-validating 3 folds over 2 processes") == 1, table_err

    # The verdicts of the folds each process trained (a text classifier at chance) meet in rank 0, which says
    # them in one line for every fold, as one process does (tests/evaluate/test_folds_at_chance_said_once.py):
    # rank 1's folds' warnings were each said again by rank 0.
    assert texts_out == single_texts.stdout and "tf-idf + logistic" in texts_out
    said = [line for line in texts_err.splitlines() if "did not beat always answering" in line]
    assert len(said) == 1 and said[0].startswith("warning: 3 of 3 folds did not beat"), texts_err
    assert said == [
        line for line in single_texts.stderr.splitlines() if "did not beat always answering" in line
    ]
    assert "does not beat always answering" not in texts_err + single_texts.stderr

    # The fold of z.csv whose training rows leave z out is rank 1's, and rank 1 stays silent, so the warning was
    # lost; rank 0 now says what the others met, and the warnings are those of one process.
    said = sorted(line for line in warned_err.splitlines() if line.startswith("warning:"))
    assert "warning: column 'z' left out of the inputs: missing in every training row" in said, warned_err
    assert said == sorted(line for line in single_warned.stderr.splitlines() if line.startswith("warning:"))
    assert warned_out == single_warned.stdout

    # A language model: one fit judged on held-out text, no folds to share out, so it would run whole in every
    # process.
    refusal = "error: evaluate --task language_model judges one model on held-out text"
    assert language_model_err.count(refusal) == 1, language_model_err
    assert "start it without torchrun" in language_model_err
    # Nothing written
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "adult.csv",
        "corpus.csv",
        "logs",
        "reviews.csv",
        "z.csv",
    ]
