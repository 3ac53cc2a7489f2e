"""Language models: the BPTT stream, AWD-LSTM's regularisers, AR/TAR, training, export and generation."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest
import torch

from trainwell.core.errors import ConfigError, DataError
from trainwell.models import create_model
from trainwell.text.awd_lstm import AWDLSTMEncoder, AWDLSTMLanguageModel, embedding_dropout
from trainwell.text.lm_callbacks import ActivationRegularization, activation_penalty
from trainwell.text.lm_learner import language_model_learner, sampled_softmax_loss
from trainwell.text.lm_predictor import generate_text, load_lm
from trainwell.text.lm_stream import LMStreamLoader, lm_data
from trainwell.text.tokenize import EOS, MAJ, UNK

REPEATED = "the cat sat on the mat . the dog ate a bone . "


def _tiny_model(**overrides: object) -> AWDLSTMLanguageModel:
    config: dict[str, object] = {"vocab_size": 30, "emb_size": 8, "hidden_size": 12, "n_layers": 2}
    config.update(overrides)
    return AWDLSTMLanguageModel(**config)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ data
def test_stream_batches_are_shifted_by_one_across_window_edges() -> None:
    ids = torch.arange(1000)
    loader = LMStreamLoader(ids, batch_size=4, bptt=10, variable=True, seed=3)
    batches = list(loader)
    assert len(batches) == len(loader)
    xs = torch.cat([x for x, _ in batches], dim=1)
    ys = torch.cat([y for _, y in batches], dim=1)
    assert xs.shape == (4, loader.row_length)
    assert torch.equal(ys, xs + 1)  # y is x shifted by one, also where windows meet
    assert torch.equal(xs[1, 0:1], torch.tensor([loader.row_length]))  # row 1 continues where row 0 stopped
    lengths = {x.size(1) for x, _ in batches}
    assert len(lengths) > 1  # variable windows


def test_variable_bptt_is_a_function_of_seed_and_epoch() -> None:
    loader = LMStreamLoader(torch.arange(20_000), batch_size=2, bptt=70, variable=True, seed=1)
    first = loader.window_bounds(0)
    assert first == LMStreamLoader(torch.arange(20_000), 2, 70, variable=True, seed=1).window_bounds(0)
    assert first != loader.window_bounds(1)
    assert first != LMStreamLoader(torch.arange(20_000), 2, 70, variable=True, seed=2).window_bounds(0)
    assert len(loader.window_bounds(1)) == len(first) == len(loader)  # fixed count: schedules know the length
    lengths = torch.tensor([b - a for a, b in first], dtype=torch.float)
    assert 60 < lengths.median() < 80 and lengths.min() < 50  # ~N(70, 5), with some windows near bptt / 2
    loader.set_epoch(1)
    resumed = list(loader.iter_from(5))
    assert [x.size(1) for x, _ in resumed] == [b - a for a, b in loader.window_bounds(1)[5:]]
    fixed = LMStreamLoader(torch.arange(20_000), 2, 70)
    assert {b - a for a, b in fixed.window_bounds(0)[:-1]} == {70}


def test_lm_data_from_folder_list_and_csv(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(6):
        (folder / f"{i}.txt").write_text(REPEATED * 10, encoding="utf-8")
    from_folder = lm_data(folder, batch_size=4, bptt=8, min_freq=1)
    assert from_folder.task.kind == "language_model" and from_folder.application == "text"
    assert from_folder.valid is not None
    x, y = next(iter(from_folder.train))
    assert x.shape[0] == 4 and x.dtype == torch.long and x.shape == y.shape
    train_tokens = from_folder.train.n_tokens  # type: ignore[attr-defined]
    assert repr(from_folder).startswith(
        f"DataBundle(task=language_model, train={train_tokens} tokens, valid="
    )

    (tmp_path / "t.csv").write_text("review\n" + "\n".join(f'"{REPEATED * 3}"' for _ in range(12)))
    from_csv = lm_data(tmp_path / "t.csv", text_col="review", batch_size=2, bptt=5, min_freq=1)
    assert from_csv.recipe.vocab.index("cat") > 0  # type: ignore[union-attr]
    with pytest.raises(DataError, match=r"text column 'text' not found .* columns are: review"):
        lm_data(tmp_path / "t.csv", text_col="text")

    # A DataFrame reads its text column, as the same table's file does (it had read its column names as the text)
    import pandas as pd

    frame = pd.read_csv(tmp_path / "t.csv").assign(stars=7)
    from_frame = lm_data(frame, text_col="review", batch_size=2, bptt=5, min_freq=1)
    assert from_frame.recipe.vocab == from_csv.recipe.vocab  # type: ignore[union-attr]
    with pytest.raises(
        DataError, match=r"the DataFrame is a table; name its text column .* columns are: review, stars"
    ):
        lm_data(frame)

    from_list = lm_data([REPEATED * 20], batch_size=2, bptt=5, min_freq=1, tokenizer="subword",
                        subword_vocab_size=40)  # fmt: skip
    assert from_list.valid is not None  # one text: the tail of the stream is held out


def test_empty_files_of_a_corpus_folder_are_skipped_by_name(tmp_path: Path) -> None:
    # An empty file among the corpus's files stopped the fit with "texts[0] is empty ... pass
    # drop_empty=True": an index into a split the user never sees, no file name, and advice no option took.
    folder = tmp_path / "corpus"
    (folder / "more").mkdir(parents=True)
    for i in range(4):
        (folder / f"{i}.txt").write_text(REPEATED * 10, encoding="utf-8")
    (folder / "more" / "blank.txt").write_text(" \n\n", encoding="utf-8")
    with pytest.warns(
        UserWarning, match=r"skipped 1 empty \.txt file\(s\) of 5 in .*corpus: more/blank\.txt"
    ):
        data = lm_data(folder, batch_size=2, bptt=8, min_freq=1)
    assert data.train.n_tokens > 0  # type: ignore[attr-defined]
    only_empty = tmp_path / "nothing"
    only_empty.mkdir()
    (only_empty / "a.txt").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"text folder .*nothing: its 1 \.txt file\(s\) are all empty"):
        lm_data(only_empty)


def test_ptb_style_files_keep_the_vocabulary_and_map_unk(tmp_path: Path) -> None:
    lines = ["a b <unk> c", "b c d N", "a <unk> d"] * 5
    with gzip.open(tmp_path / "train.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    (tmp_path / "valid.txt").write_text("a b c\nd <unk> N\n", encoding="utf-8")
    data = lm_data(tmp_path / "train.txt.gz", valid=tmp_path / "valid.txt", test=tmp_path / "valid.txt",
                   tokenizer="whitespace", min_freq=1, max_vocab=None, batch_size=2, bptt=4)  # fmt: skip
    vocab = data.recipe.vocab  # type: ignore[union-attr]
    words = {token for token in vocab.itos if not token.startswith("xx")}
    assert words == {"a", "b", "c", "d", "N"}  # every word kept, case kept, <unk> is not a word
    stream = data.train.ids  # type: ignore[attr-defined]
    assert vocab.decode(stream[:5]) == ["a", "b", UNK, "c", EOS]
    assert data.test is not None


def test_non_utf8_file_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 au lait\n")
    with pytest.raises(DataError, match=r"bad\.txt' is not utf-8 text .*encoding_errors=\"replace\""):
        lm_data(tmp_path / "bad.txt")
    data = lm_data(
        tmp_path / "bad.txt", encoding_errors="replace", min_freq=1, batch_size=1, bptt=2, valid_pct=0
    )
    assert "\ufffd" in "".join(data.recipe.vocab.itos)  # type: ignore[union-attr]
    # The docstring said text files were always read as UTF-8; encoding= reads them (what --encoding does).
    decoded = lm_data(tmp_path / "bad.txt", encoding="cp1252", min_freq=1, batch_size=1, bptt=2, valid_pct=0)
    assert "café" in decoded.recipe.vocab.itos  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ model
def test_weight_drop_mask_is_constant_in_time_and_new_per_batch() -> None:
    torch.manual_seed(0)
    model = _tiny_model(weight_p=0.5, embed_p=0.0, input_p=0.0, hidden_p=0.0, output_p=0.0, n_layers=1)
    model.train()
    ids = torch.randint(0, 30, (3, 7))
    model(ids)
    rnn = model.encoder.rnns[0]
    dropped = rnn.last_weight_hh
    assert dropped is not None and (dropped == 0).float().mean() > 0.3
    # Re-run the recurrence step by step with that one dropped matrix: identical outputs => same mask at every t.
    x = torch.nn.functional.embedding(ids, model.encoder.embedding.weight)
    h = c = torch.zeros(3, rnn.hidden_size)
    steps = []
    for t in range(ids.size(1)):
        gates = x[:, t] @ rnn.weight_ih.t() + rnn.bias_ih + h @ dropped.t() + rnn.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        steps.append(h)
    assert torch.allclose(torch.stack(steps, 1), model.last_raw_output, atol=1e-5)
    model(ids)
    assert not torch.equal(rnn.last_weight_hh, dropped)  # a new mask for the next batch
    model.eval()
    model(ids)
    assert torch.equal(rnn.last_weight_hh, rnn.weight_hh.detach())


def test_embedding_dropout_drops_whole_words() -> None:
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(50, 6)
    ids = torch.arange(50).repeat(2, 1)  # every word twice
    out = embedding_dropout(embedding, ids, p=0.5)
    zero_rows = (out == 0).all(-1)
    assert 0 < zero_rows[0].sum() < 50
    assert torch.equal(zero_rows[0], zero_rows[1])  # a dropped word is dropped at every occurrence
    kept = ~zero_rows[0]
    assert torch.allclose(out[0, kept], embedding.weight[kept] * 2)  # the rest scaled by 1 / (1 - p)
    assert torch.equal(embedding_dropout(embedding, ids, p=0.5, training=False)[0], embedding.weight)


def test_tied_weights_are_one_tensor_and_survive_the_state_dict() -> None:
    model = _tiny_model()
    assert model.decoder.weight is model.encoder.embedding.weight
    rebuilt = create_model("awd_lstm_lm", vocab_size=30, emb_size=8, hidden_size=12, n_layers=2)
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt.decoder.weight is rebuilt.encoder.embedding.weight  # type: ignore[union-attr]
    assert _tiny_model(tie_weights=False).decoder.weight is not model.encoder.embedding.weight
    assert all("hidden" not in key for key in model.state_dict())  # the carried state is not a weight


def test_hidden_state_is_carried_detached_and_reset() -> None:
    torch.manual_seed(0)
    model = _tiny_model().eval()
    first, second = torch.randint(0, 30, (2, 5)), torch.randint(0, 30, (2, 5))
    model(first)
    carried = model(second)
    assert all(not h.requires_grad and not c.requires_grad for h, c in model.encoder.hidden or [])
    model.reset()
    fresh = model(second)
    assert not torch.allclose(carried, fresh)
    model.reset()
    model(first)
    assert torch.allclose(model(second), carried)  # same history, same output
    model.train()
    loss = model(first).sum() + model(second).sum()
    loss.backward()  # would fail ("backward through the graph a second time") if the state were not detached


def test_encoder_interface_for_classifiers() -> None:
    encoder = AWDLSTMEncoder(40, emb_size=6, hidden_size=10, n_layers=3, pad_id=1)
    raw, dropped = encoder(torch.randint(0, 40, (2, 9)))
    assert [r.shape[-1] for r in raw] == [10, 10, 6] and len(dropped) == 3
    assert torch.equal(encoder.embedding.weight[1], torch.zeros(6))
    with pytest.raises(ConfigError, match="n_layers must be a whole number >= 1"):
        AWDLSTMEncoder(40, n_layers=0)


# ------------------------------------------------------------------------------------------ losses
def test_ar_tar_penalty_matches_its_definition_and_changes_the_loss(tmp_path: Path) -> None:
    raw, dropped = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    expected = 2.0 * dropped.pow(2).mean() + 1.0 * (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
    assert torch.allclose(activation_penalty(raw, dropped, 2.0, 1.0), expected)

    data = lm_data([REPEATED * 30], batch_size=2, bptt=6, min_freq=1, valid_pct=0)
    seen: dict[str, float] = {}

    class Spy(ActivationRegularization):
        order = 6

        def __init__(self) -> None:
            super().__init__(0.0, 0.0)

        def after_loss(self, learn):  # type: ignore[no-untyped-def]
            if learn.training:
                seen["loss"], seen["loss_grad"] = float(learn.loss.detach()), float(learn.loss_grad.detach())
                from trainwell.learner.events import CancelFit

                raise CancelFit

    learn = language_model_learner(data, emb_size=8, hidden_size=8, n_layers=1, progress=False, alpha=5.0,
                                   beta=5.0, callbacks=[Spy()])  # fmt: skip
    learn.fit(1)
    assert seen["loss_grad"] > seen["loss"] + 1e-4  # AR/TAR add to what is back-propagated only


def test_sampled_softmax_matches_full_softmax_when_every_word_is_sampled() -> None:
    torch.manual_seed(0)
    features, weight, bias = torch.randn(6, 4), torch.randn(5, 4), torch.randn(5)
    targets = torch.tensor([0, 1, 2, 3, 4, 0])
    # Importance-weighted samples estimate the normaliser: with many samples the loss nears the full one.
    proposal = torch.full((5,), 0.2)
    sampled = sampled_softmax_loss(features, targets, weight, bias, proposal, 20_000)
    full = torch.nn.functional.cross_entropy(features @ weight.t() + bias, targets)
    assert abs(float(sampled) - float(full)) < 0.05


def test_metrics_and_loss_are_taken_as_by_the_other_learner_factories() -> None:
    # language_model_learner took neither metrics= nor loss=, unlike text_classifier_learner and the others.
    torch.manual_seed(0)
    data = lm_data([REPEATED * 12] * 3, batch_size=2, bptt=8, min_freq=1)
    sizes = {"emb_size": 8, "hidden_size": 8, "n_layers": 1, "progress": False}
    assert language_model_learner(data, **sizes).metrics == []  # type: ignore[arg-type]  # the default: none
    calls = []

    def doubled(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        calls.append(logits.shape)
        return 2 * torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())

    learn = language_model_learner(data, metrics=["accuracy"], loss=doubled, **sizes)  # type: ignore[arg-type]
    learn.fit(1, 1e-2)
    row = learn.history[-1]
    assert calls and learn.loss_func is doubled
    # Accuracy: the share of next tokens ranked first, over the validation stream read as validate reads it.
    learn.model.eval()
    learn.model.reset()  # type: ignore[operator]
    with torch.no_grad():
        right = [(learn.model(x).argmax(-1) == y).float() for x, y in learn.data.valid]  # type: ignore[union-attr]
    assert row["accuracy"] == pytest.approx(float(torch.cat([r.flatten() for r in right]).mean()), abs=1e-6)
    # Perplexity stays the exact cross-entropy per token, not the doubled training loss.
    scores = learn.validate()
    assert row["perplexity"] == pytest.approx(scores["perplexity"], rel=1e-5)
    assert row["valid_loss"] == pytest.approx(scores["loss"], rel=1e-5)
    assert scores["accuracy"] == pytest.approx(row["accuracy"], abs=1e-6)
    with pytest.raises(ConfigError, match=r"metric 'rmse' does not fit a multiclass task.*next token"):
        language_model_learner(data, metrics=["rmse"], **sizes)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="pass loss= or train_softmax='sampled', not both"):
        language_model_learner(data, loss=doubled, train_softmax="sampled", **sizes)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ training
@pytest.mark.parametrize("softmax", ["full", "sampled"])
def test_tiny_lm_overfits_a_repetitive_corpus(softmax: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    data = lm_data([REPEATED * 40] * 4, batch_size=4, bptt=12, min_freq=1, seed=0)
    learn = language_model_learner(
        data,
        emb_size=24,
        hidden_size=48,
        n_layers=2,
        drop_mult=0.1,
        train_softmax=softmax,
        n_samples=6,
        progress=False,
    )  # type: ignore[arg-type]
    learn.fit_one_cycle(6, 1e-2)
    perplexity = learn.history[-1]["perplexity"]
    assert perplexity < 2.0, learn.history
    assert math.isclose(perplexity, math.exp(learn.history[-1]["valid_loss"]))
    assert math.isclose(learn.validate()["perplexity"], perplexity, rel_tol=1e-4)
    assert learn.generate("the cat", 6, temperature=0, seed=0).startswith("the cat sat on the mat")


def test_export_load_generate(tmp_path: Path) -> None:
    torch.manual_seed(0)
    data = lm_data([REPEATED * 30] * 3, batch_size=4, bptt=10, min_freq=1)
    learn = language_model_learner(data, emb_size=16, hidden_size=24, n_layers=2, drop_mult=0.1,
                                   progress=False)  # fmt: skip
    learn.fit_one_cycle(2, 1e-2)
    learn.export(tmp_path / "lm")
    predictor = load_lm(tmp_path / "lm")
    text = predictor.generate("the dog", n_words=8, seed=1)
    assert text.startswith("the dog") and len(text.split()) >= 8
    assert text == learn.generate("the dog", 8, seed=1)  # the artifact reproduces the trained model
    assert predictor.generate("the dog", 8, seed=1) == text  # seeded sampling is repeatable
    assert "xxpad" not in predictor.generate("the", 30, temperature=2.0, seed=3)
    with pytest.raises(DataError, match="the prompt is empty"):
        predictor.generate("   ")
    with pytest.raises(ConfigError, match="top_k must be a whole number >= 1"):
        predictor.generate("the", top_k=0)


def test_generate_command(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from trainwell.cli.generate_cmd import generate

    torch.manual_seed(0)
    data = lm_data([REPEATED * 20] * 3, batch_size=4, bptt=10, min_freq=1)
    learn = language_model_learner(data, emb_size=8, hidden_size=8, n_layers=1, progress=False)
    learn.fit(1)
    learn.export(tmp_path / "lm")
    app = typer.Typer()
    app.command()(generate)
    runner = CliRunner()
    result = runner.invoke(
        app, [str(tmp_path / "lm"), "the cat", "--n-words", "5", "--seed", "0", "--top-k", "3"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == load_lm(tmp_path / "lm").generate("the cat", 5, top_k=3, seed=0)
    nucleus = runner.invoke(
        app, [str(tmp_path / "lm"), "the cat", "--n-words", "5", "--seed", "0", "--top-p", "0.8"]
    )
    assert nucleus.exit_code == 0, nucleus.output
    assert nucleus.stdout.strip() == load_lm(tmp_path / "lm").generate("the cat", 5, top_p=0.8, seed=0)
    missing = runner.invoke(app, [str(tmp_path / "nope"), "the cat"])
    assert missing.exit_code == 2 and "error:" in missing.output
    # Bad sampling settings are named as the options they came from (the errors said top_k, top_p).
    for option, value, said in (
        ("--top-k", "0", "'--top-k'"),
        ("--top-p", "1.5", "'--top-p'"),
        ("--top-p", "0", "--top-p 0 keeps no token"),
        ("--temperature", "-1", "'--temperature'"),
    ):
        bad = runner.invoke(app, [str(tmp_path / "lm"), "the cat", option, value])
        assert bad.exit_code == 2 and said in bad.output, (option, value, bad.output)


def test_fit_language_model_writes_a_model_directory(tmp_path: Path) -> None:
    from trainwell.text.lm_learner import fit_language_model

    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.txt").write_text(REPEATED * 8, encoding="utf-8")
    run = fit_language_model(folder, out=tmp_path / "model", epochs=1, progress=False, batch_size=4,
                             bptt=8, min_freq=1, learner_kwargs={"emb_size": 8, "hidden_size": 8, "n_layers": 1})  # fmt: skip
    # A run like every pipeline's: the learner, the model directory and the final row
    assert (
        "perplexity" in run.learn.history[-1]
        and run.metrics["perplexity"] == run.learn.history[-1]["perplexity"]
    )
    assert run.model_dir == tmp_path / "model" and run.lr == run.learn.lr and run.data is run.learn.data
    # Scripts written when it returned the learner still read its attributes, told what to write instead
    with pytest.warns(FutureWarning, match=r"read run\.learn\.history"):
        assert run.history is run.learn.history
    with pytest.raises(AttributeError, match="no attribute 'nothing_such'"):
        run.nothing_such  # noqa: B018
    assert (tmp_path / "model" / "history.csv").is_file()
    assert "perplexity" in (tmp_path / "model" / "history.csv").read_text()
    assert load_lm(tmp_path / "model").generate("the", 3, seed=0).startswith("the")
    with pytest.raises(ConfigError, match=r"epochs \(--epochs\) must be a whole number of at least 1"):
        fit_language_model(folder, epochs=0)


def test_fit_command_takes_batch_size_and_refuses_what_a_language_model_never_reads(tmp_path: Path) -> None:
    # --batch-size was dropped on the way to lm_data: a small corpus stopped asking for a smaller batch size
    # whatever was passed; --target, --metric, --arch... were silently ignored.
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(2):
        (folder / f"{i}.txt").write_text(REPEATED * 2, encoding="utf-8")
    runner = CliRunner()
    args = ["fit", str(folder), "--task", "language_model", "--epochs", "1", "--out", str(tmp_path / "lm")]
    small = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert small.exit_code == 2 and "a smaller batch size (--batch-size" in small.output, small.output
    fitted = runner.invoke(app, [*args, "--batch-size", "2"])
    assert fitted.exit_code == 0, fitted.output
    assert load_lm(tmp_path / "lm").generate("the", 2, seed=0).startswith("the")
    refused = runner.invoke(app, [*args, "--batch-size", "2", "--target", "y", "--metric", "accuracy"])
    assert refused.exit_code == 2, refused.output
    assert "--target, --metric are not used by a language model" in refused.output


def test_fit_command_chooses_the_tokenizer_and_refuses_it_where_it_means_nothing(tmp_path: Path) -> None:
    # The command line had no way to choose a language model's tokenizer: PTB's own tokens went through the
    # word rules ("N" read as "xxmaj n"), so its perplexity could not be compared with published ones.
    from typer.testing import CliRunner

    from trainwell.cli.app import app
    from trainwell.export import read_metadata

    corpus = tmp_path / "corpus.txt"
    corpus.write_text((REPEATED + "\n") * 6, encoding="utf-8")
    runner = CliRunner()
    args = ["fit", str(corpus), "--task", "language_model", "--epochs", "1", "--batch-size", "2"]
    for name in ("whitespace", "subword"):
        done = runner.invoke(app, [*args, "--tokenizer", name, "--out", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
        assert read_metadata(tmp_path / name)["recipe"]["tokenizer_name"] == name
    for extra, said in (
        (
            ["--tokenizer", "bpe"],
            "--tokenizer 'bpe' is not one for a language model: use word or subword or whitespace",
        ),
        (
            ["--tokenizer", "word", "--pretrained", str(tmp_path / "whitespace")],
            "the pretrained model's own tokenizer",
        ),
    ):
        refused = runner.invoke(
            app, [*args, *extra, "--out", str(tmp_path / "never")], env={"COLUMNS": "250"}
        )
        assert refused.exit_code == 2 and said in refused.output, refused.output
    table = tmp_path / "table.csv"
    table.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40)), encoding="utf-8")
    refused = runner.invoke(
        app, ["fit", str(table), "--target", "y", "--tokenizer", "word"], env={"COLUMNS": "250"}
    )
    assert (
        refused.exit_code == 2 and "--tokenizer is for texts (--text) and language models" in refused.output
    )
    assert not (tmp_path / "never").exists()


class _FavoursTheCaseMark(torch.nn.Module):
    """A "language model" that always ranks ``xxmaj`` first and one word second: what a weak model trained on
    capitalised text can do (it printed "xxunk: I am" and eight xxmaj)."""

    def __init__(self, n_tokens: int, mark: int, word: int) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.logits = torch.zeros(n_tokens)
        self.logits[mark], self.logits[word] = 10.0, 5.0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(ids.shape[0], ids.shape[1], -1).clone()


def test_generated_text_echoes_the_prompt_and_never_shows_a_case_mark() -> None:
    data = lm_data([REPEATED * 5], batch_size=2, bptt=5, min_freq=1)
    itos = data.recipe.vocab.itos
    model = _FavoursTheCaseMark(len(itos), itos.index(MAJ), itos.index("cat"))
    for n_words in (1, 2, 7, 8):
        text = generate_text(model, data.recipe, "ROMEO:  the", n_words, temperature=0)
        # The prompt as typed (ROMEO is not in the vocabulary: the model read xxunk), then marked words.
        assert text.startswith("ROMEO:  the") and "xx" not in text, text
        # A mark never follows a mark, and the last word can't be one: an odd count ends on a plain word.
        assert text.split()[2:] == ["Cat"] * (n_words // 2) + ["cat"] * (n_words % 2), text


def test_a_language_model_is_sized_for_the_device_it_trains_on() -> None:
    from trainwell.text._lm_model import build_model
    from trainwell.text.lm_learner import CPU_SIZES, DEFAULT_SIZES

    data = lm_data([REPEATED * 10] * 2, batch_size=2, bptt=5, min_freq=1)
    learn = language_model_learner(data, progress=False, device="cpu")
    config = learn.model_spec["config"]
    assert (config["emb_size"], config["hidden_size"], config["n_layers"]) == (256, 512, 2)
    assert {key: config[key] for key in CPU_SIZES} == CPU_SIZES
    _, _, gpu = build_model(data, "awd_lstm_lm", {}, 1.0, None, on_cpu=False)  # what a GPU gets
    assert {key: gpu[key] for key in DEFAULT_SIZES} == DEFAULT_SIZES
    asked = language_model_learner(data, progress=False, emb_size=8, hidden_size=12, n_layers=1)
    assert asked.model_spec["config"]["hidden_size"] == 12  # what the call asks for wins


def test_nucleus_sampling_keeps_the_likeliest_words_that_hold_top_p() -> None:
    from trainwell.text.lm_predictor import nucleus

    probs = torch.tensor([0.05, 0.5, 0.3, 0.15])
    assert nucleus(probs, 0.5).tolist() == [0.0, 1.0, 0.0, 0.0]  # the likeliest alone holds 0.5
    assert nucleus(probs, 0.7).tolist() == pytest.approx([0.0, 0.625, 0.375, 0.0])
    assert nucleus(probs, 0.01).tolist() == [0.0, 1.0, 0.0, 0.0]  # never empty
    assert nucleus(probs, 1.0).tolist() == pytest.approx(probs.tolist())
    data = lm_data([REPEATED * 5], batch_size=2, bptt=5, min_freq=1)
    itos = data.recipe.vocab.itos
    model = _FavoursTheCaseMark(len(itos), itos.index(MAJ), itos.index("cat"))
    # Every step's likeliest token holds over half the mass: top_p 0.5 samples as greedy decoding does, even
    # at a temperature where plain sampling wanders.
    greedy = generate_text(model, data.recipe, "the", 12, temperature=0)
    for seed in range(3):
        assert generate_text(model, data.recipe, "the", 12, temperature=1.0, top_p=0.5, seed=seed) == greedy
    wandering = {
        generate_text(model, data.recipe, "the", 12, temperature=8.0, seed=seed) for seed in range(3)
    }
    assert wandering != {greedy}
    with pytest.raises(ConfigError, match="top_p must be a number in"):
        generate_text(model, data.recipe, "the", 3, top_p=0.0)


def _ptb_folder(folder: Path) -> Path:
    """A corpus laid out as PTB is: ptb.train.txt.gz, ptb.valid.txt and ptb.test.txt, a sentence a line; words
    that only the valid file (``valid_only``) or only the test file (``test_only``) hold."""
    folder.mkdir()
    with gzip.open(folder / "ptb.train.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write("a b <unk> c\nb c d N\na <unk> d\n" * 6)
    (folder / "ptb.valid.txt").write_text("a b valid_only\nc d\n", encoding="utf-8")
    (folder / "ptb.test.txt").write_text("a test_only b\nd c a\nb b\n", encoding="utf-8")
    return folder


def test_a_folder_of_train_valid_test_files_is_read_as_those_splits(tmp_path: Path) -> None:
    # Such a folder (PTB's own layout) was read as three texts of which one, drawn at random, was held out: the
    # model trained on the test file more often than not, and PTB's .gz files were "no .txt files" at all.
    folder = _ptb_folder(tmp_path / "ptb")
    data = lm_data(folder, tokenizer="whitespace", min_freq=1, max_vocab=None, batch_size=2, bptt=4)
    vocab = data.recipe.vocab  # type: ignore[union-attr]
    assert {token for token in vocab.itos if not token.startswith("xx")} == {"a", "b", "c", "d", "N"}
    assert data.train.ids.numel() == 6 * 14  # type: ignore[attr-defined]  # the train lines, each with its xxeos
    assert vocab.decode(data.valid.ids) == ["a", "b", UNK, EOS, "c", "d", EOS]  # type: ignore[union-attr]
    assert data.test is not None and vocab.decode(data.test.ids)[:4] == ["a", UNK, "b", EOS]  # type: ignore[attr-defined]
    assert data.recipe.documents is False  # type: ignore[union-attr]  # a sentence a line, as a file of them is
    # A valid or test text passed by the caller wins over the folder's file.
    other = tmp_path / "other.txt"
    other.write_text("d d d\n", encoding="utf-8")
    chosen = lm_data(folder, valid=other, tokenizer="whitespace", min_freq=1, batch_size=2, bptt=4)
    assert chosen.valid.ids.numel() == 4  # type: ignore[union-attr]
    # Two files for one split cannot be told apart: said, not guessed.
    (folder / "train.txt").write_text("a b\n", encoding="utf-8")
    with pytest.raises(
        DataError, match=r"ptb holds 2 train files: ptb\.train\.txt\.gz, train\.txt; keep one"
    ):
        lm_data(folder)
    # A folder of texts that name no split stays a folder of texts, one each.
    texts = tmp_path / "texts"
    texts.mkdir()
    for name in ("chapter1.txt", "chapter2.txt", "trainer.txt"):
        (texts / name).write_text((REPEATED + "\n") * 4, encoding="utf-8")
    assert lm_data(texts, min_freq=1, batch_size=2, bptt=4).recipe.documents is True  # type: ignore[union-attr]


def test_fit_command_says_which_file_of_a_split_folder_does_what(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainwell.cli.app import app

    folder = _ptb_folder(tmp_path / "ptb")
    args = ["fit", str(folder), "--task", "language_model", "--tokenizer", "whitespace", "--epochs", "1",
            "--batch-size", "2", "--out", str(tmp_path / "my lm")]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    said = f"{folder}: trains on ptb.train.txt.gz, validates on ptb.valid.txt; ptb.test.txt is kept out, scored at the end"
    assert said in result.output
    # The hints are commands to paste: a directory with a space is quoted for the shell.
    assert f"trainwell report '{tmp_path / 'my lm'}' --data {folder / 'ptb.test.txt'}" in result.output
    lm = tmp_path / "my lm"
    assert f"trainwell generate '{lm}' \"your prompt\"" in result.output
