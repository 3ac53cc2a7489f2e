"""``trainwell fit --out DIR`` keeps a checkpoint in DIR while it trains; ``--resume`` continues from it exactly.

When it is written (:data:`EVERY_SECONDS`, :data:`MAX_OVERHEAD`): at the end of each epoch and after the
training batch that ends two minutes after the last write, but never so soon after the last write that writing
would take more than 2% of the training time (a table's epochs of 50 ms are not each written; a 100 MB text
model waits 20-30 s between writes). Ctrl-C finishes the batch in progress, writes it, and stops, printing the
command that resumes; a process killed outright (SIGKILL, a power cut) loses what came after the last write.
The file is ``DIR/fit-checkpoint.pt`` (no pickled objects: tensors and plain values, read with
``weights_only``), and the model's own save removes it once the fit has ended.

What must match: the checkpoint records every option of the command (but ``--out`` and ``--resume``) and a
fingerprint of the data (a file's size and contents; a folder's file names and sizes). ``--resume`` with any of
them different is refused, naming each and both values; so is a fit without ``--resume`` into a DIR that holds
a checkpoint (it would replace work that can be continued), and ``--resume`` with no checkpoint. The data may
have moved: at another path with the same fingerprint it is the same data, and the resume says so in a note.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from trainwell.cli._common import err_console, out_console, say_warning

if TYPE_CHECKING:
    from trainwell.learner import CheckpointInfo
    from trainwell.learner.events import Callback

#: Seconds of training after which the next training batch writes the checkpoint, within an epoch.
EVERY_SECONDS = 120.0
#: The most of the training time that writing checkpoints may take (a write comes at least the last write's
#: time divided by this after it).
MAX_OVERHEAD = 0.02
#: Options that do not describe the fit: where it goes, and whether it resumes.
NOT_RECORDED = ("out", "resume", "track")  # where the fit is logged changes nothing of it
#: Options a resume takes from the checkpoint when they are not given again: what the saved weights are fixed by
#: (``--lm-size``: the model's size; ``--tokenizer``: the vocabulary, one row of the embedding a token, and a
#: character model's one a character), so the fit goes on as it was started; given otherwise, they are refused.
#: By name, what each fixes, as the refusal says it.
KEPT_ON_RESUME = {
    "lm_size": "which its weights are fixed by",
    "tokenizer": "which its vocabulary and so its weights are fixed by",
}
#: Files up to this size are hashed whole to fingerprint the data; larger ones by their first and last part.
HASHED_WHOLE = 256 * 2**20
HASHED_PART = 16 * 2**20

RESUME_HELP = (
    "Continue the fit that --out's checkpoint was written by, exactly (same weights and scores as a run never "
    "stopped), with the same arguments. While training, fit keeps DIR/fit-checkpoint.pt (each epoch and every "
    "2 minutes, at most 2% of the time; Ctrl-C writes it and prints this command) and removes it once the "
    "model is written. Fine-tuning (--pretrained) resumes in its phase; tables' --arch auto fits the trees "
    "again (seconds); --arch gbdt and ease fit in seconds and keep none."
)


@dataclass
class FitCheckpoint:
    """The checkpoint of one ``trainwell fit``: what to pass the pipeline, and what to say if it is stopped."""

    out: Path
    path: Path
    callbacks: list[Callback] = field(default_factory=list)
    resume_from: Path | None = None
    #: What a resume took from the checkpoint for options not given again (:data:`KEPT_ON_RESUME`), by name:
    #: ``{"lm_size": "small"}``; empty for a fresh fit.
    kept: dict[str, Any] = field(default_factory=dict)

    @property
    def pipeline_kwargs(self) -> dict[str, Any]:
        """``callbacks`` and ``resume_from`` for the application's pipeline function."""
        return {"callbacks": list(self.callbacks), "resume_from": self.resume_from}


def plan_checkpoint(
    context: typer.Context, out: Path, resume: bool, closed_form: str | None, time_seconds: float | None
) -> FitCheckpoint:
    """Check ``--resume`` against ``--out``'s checkpoint and the options given, and set up the checkpoint.

    ``closed_form`` names a model fitted in seconds, which keeps no checkpoint (``"boosted trees (--arch
    gbdt)"``), or is ``None``.

    Raises:
        ConfigError: ``--resume`` without a checkpoint, with one of other options or data, or for a model fitted
            in closed form; a checkpoint in ``--out`` without ``--resume``.
    """
    from trainwell.callbacks import Checkpoint
    from trainwell.core.errors import ConfigError
    from trainwell.core.model_dir import FIT_CHECKPOINT_FILE

    path = out / FIT_CHECKPOINT_FILE
    if path.is_file() and not resume:
        raise ConfigError(
            f"'{out}' holds the checkpoint of a fit that did not finish ({_position(_read(path))}); continue it with "
            f"the same arguments and --resume, or delete '{path}' to start afresh"
        )
    if resume and not path.is_file():
        if closed_form is not None:
            raise ConfigError(
                f"--resume: {closed_form} fit in seconds and keep no checkpoint, so there is nothing to resume; "
                "fit again without --resume"
            )
        finished = " (it holds a finished model)" if (out / "trainwell.json").is_file() else ""
        raise ConfigError(
            f"--resume: there is no checkpoint in '{out}'{finished}: a fit keeps one there only until its model is "
            "written; start afresh without --resume"
        )
    settings = fit_settings(context, time_seconds)
    if closed_form is not None and not resume:
        return FitCheckpoint(out, path)
    resume_from, kept = None, {}
    if resume:  # a checkpoint of a closed-form fit cannot exist: its --arch differs from this one's
        info = _read(path)
        _check_same_processes(info)
        kept = _kept_settings(info, settings, out)
        settings.update(kept)  # recorded again, so that a second resume needs them no more than this one
        _check_same_fit(info, settings, out)
        out_console.print(f"resuming the fit stopped {_position(info)} from '{path}'", soft_wrap=True)
        resume_from = path
    checkpoint = Checkpoint(
        path.absolute(),
        every_seconds=EVERY_SECONDS,
        max_overhead=MAX_OVERHEAD,
        save_on_interrupt=True,
        settings=settings,
    )
    return FitCheckpoint(out, path, [checkpoint], resume_from, kept)


def fit_settings(context: typer.Context, time_seconds: float | None) -> dict[str, Any]:
    """Every option of the command as given (paths made absolute, ``--time`` in seconds), and the data's
    fingerprint: what a resume must match."""
    settings: dict[str, Any] = {}
    for name, value in context.params.items():
        if name in NOT_RECORDED:
            continue
        settings[name] = time_seconds if name == "time_budget" else _plain(value)
    data = context.params.get("data")
    if isinstance(data, Path):
        settings["data_contents"] = data_fingerprint(data)
    return settings


def data_fingerprint(source: Path) -> str:
    """A short digest of a file's size and contents (the first and last 16 MB of one over 256 MB), or of the
    names and sizes of the files in a folder; ``""`` for a path that does not exist (the fit then says so)."""
    digest = hashlib.blake2b(digest_size=16)
    if source.is_file():
        size = source.stat().st_size
        digest.update(str(size).encode())
        with open(source, "rb") as stream:
            if size <= HASHED_WHOLE:
                for block in iter(lambda: stream.read(2**20), b""):
                    digest.update(block)
            else:
                digest.update(stream.read(HASHED_PART))
                stream.seek(size - HASHED_PART)
                digest.update(stream.read(HASHED_PART))
    elif source.is_dir():
        from trainwell.core.paths import walk_following_links

        for folder, folders, files in walk_following_links(
            source
        ):  # links followed, as the data's readers do
            folders.sort()
            for name in sorted(files):
                file = Path(folder, name)
                try:
                    size = file.stat().st_size
                except OSError:  # a link to no file: the data's readers skip it, saying so
                    size = -1
                digest.update(f"{file.relative_to(source).as_posix()}\0{size}\n".encode())
    else:
        return ""
    return digest.hexdigest()


def tell_how_to_resume(run: Callable[[], None], out: Path) -> None:
    """Run ``run``; when Ctrl-C stops it and ``out`` holds a checkpoint, say so and print the command that
    continues it (exit code 130). Without a checkpoint the interrupt goes on as before."""
    from trainwell.core.model_dir import FIT_CHECKPOINT_FILE

    try:
        run()
    except KeyboardInterrupt as error:
        path = out / FIT_CHECKPOINT_FILE
        if not path.is_file():
            raise
        terminated = str(error) == "SIGTERM"  # kill, a container's stop: the checkpoint written as for Ctrl-C
        code = 143 if terminated else 130  # as a shell reports a process the signal ended
        if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 says it for all
            raise typer.Exit(code) from None
        err_console.print(
            f"{'stopped by SIGTERM' if terminated else 'interrupted'}: the fit's checkpoint "
            f"({_position(_read(path))}) is in '{path}'; continue it with: {resume_command(sys.argv)}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        raise typer.Exit(code) from None


def resume_command(argv: list[str], environ: Mapping[str, str] | None = None) -> str:
    """The command that resumes the one in ``argv``: the same arguments after ``fit``, and ``--resume``; under
    torchrun (``environ``'s ``WORLD_SIZE`` over 1) after ``torchrun --nproc_per_node N -m trainwell``, as a
    checkpoint of N processes resumes only in N (``--nnodes`` too when the job spanned several machines)."""
    arguments = list(argv[1:])
    start = arguments.index("fit") + 1 if "fit" in arguments else 0
    kept = [argument for argument in arguments[start:] if argument != "--resume"]
    return _launcher(os.environ if environ is None else environ) + "fit " + shlex.join([*kept, "--resume"])


def _launcher(environ: Mapping[str, str]) -> str:
    """``"trainwell "``, or under torchrun the torchrun command that starts as many processes."""
    size = int(environ.get("WORLD_SIZE", "1") or 1)
    if size <= 1:
        return "trainwell "
    per_node = int(environ.get("LOCAL_WORLD_SIZE", "0") or 0) or size
    nodes = f" --nnodes {size // per_node}" if size // per_node > 1 else ""
    return f"torchrun{nodes} --nproc_per_node {per_node} -m trainwell "


# --------------------------------------------------------------------------------------------------- helpers
def _read(path: Path) -> CheckpointInfo:
    from trainwell.learner import read_checkpoint

    return read_checkpoint(path)


def _position(info: CheckpointInfo) -> str:
    """Where the checkpoint's fit stopped, in words: ``"in epoch 3 of 10, after 120 of its batches"``."""
    from trainwell.core.model_dir import position_words

    return position_words(info.epoch, info.next_batch, info.n_epochs, info.phase)


def _check_same_processes(info: CheckpointInfo) -> None:
    """Refuse, before the data is read, a resume by another number of processes than wrote the checkpoint."""
    from trainwell.core.errors import ConfigError
    from trainwell.learner._checkpoint import processes_mismatch

    message = processes_mismatch(info.processes, int(os.environ.get("WORLD_SIZE", "1") or 1), info.path)
    if message is not None:
        raise ConfigError(f"--resume: {message}")


def _kept_settings(info: CheckpointInfo, settings: dict[str, Any], out: Path) -> dict[str, Any]:
    """The options of :data:`KEPT_ON_RESUME` the checkpoint records and this resume does not give, by name.

    Raises:
        ConfigError: One of them given with another value than the checkpoint's (its weights are of that one).
    """
    from trainwell.core.errors import ConfigError

    recorded, kept = info.settings or {}, {}
    for name, fixing in KEPT_ON_RESUME.items():
        there, here = recorded.get(name), settings.get(name)
        if there is None:  # not given to the fit that wrote it: compared as any other option
            continue
        if here is None:
            kept[name] = there
        elif here != there:
            flag, was = _flag(name), _shown(name, there)
            raise ConfigError(
                f"--resume: the checkpoint in '{out}' was written by a fit with {flag} {was}, {fixing}, not "
                f"{_shown(name, here)}: resume without {flag} (the checkpoint's {was} is kept), or delete "
                f"'{info.path}' to start afresh"
            )
    return kept


def _check_same_fit(info: CheckpointInfo, settings: dict[str, Any], out: Path) -> None:
    from trainwell.core.errors import ConfigError

    fix = f"resume with the same arguments, or delete '{info.path}' to start afresh"
    if not info.settings:
        raise ConfigError(
            f"--resume: the checkpoint in '{out}' records no options, so it was not written by trainwell fit; "
            f"resume it from Python (resume_from=...) or delete '{info.path}' to start afresh"
        )
    recorded = info.settings
    same_data = recorded.get("data") == settings.get("data")
    if same_data and recorded.get("data_contents") != settings.get("data_contents"):
        raise ConfigError(
            f"--resume: the data '{settings.get('data')}' has changed since the checkpoint in '{out}' was written "
            f"(its files, sizes or contents differ); resume with the data it was trained on, or delete "
            f"'{info.path}' to start afresh"
        )
    # Data moved (a job rescheduled onto another node, a scratch path): the same contents at another path are the
    # same data; other contents at another path are refused below, as any other option that differs.
    fingerprint = recorded.get("data_contents")
    moved = not same_data and bool(fingerprint) and fingerprint == settings.get("data_contents")
    names = [name for name in sorted({*recorded, *settings}) if name != "data_contents"]
    differing = [
        f"{_flag(name)} {_shown(name, recorded.get(name))} there, {_shown(name, settings.get(name))} here"
        for name in names
        if recorded.get(name) != settings.get(name) and not (moved and name == "data")
    ]
    if differing:
        raise ConfigError(
            f"--resume: this fit's options differ from those of the checkpoint in '{out}': {'; '.join(differing)}. "
            f"{fix[0].upper()}{fix[1:]}"
        )
    if moved and os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 says it for all
        say_warning(
            f"the data has moved since the checkpoint was written ('{recorded.get('data')}' then, "
            f"'{settings.get('data')}' now); its contents are the same, so the fit goes on with it",
            note=True,
        )


def _plain(value: Any) -> Any:
    """An option's value as a checkpoint keeps it: paths absolute, lists as lists."""
    if isinstance(value, Path):
        return os.path.abspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _flag(name: str) -> str:
    """How an option is spelled on the command line (``time_budget`` is ``--time``)."""
    if name == "data":
        return "DATA"
    return "--time" if name == "time_budget" else "--" + name.replace("_", "-")


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "not given"
    if name == "time_budget" and isinstance(value, (int, float)):
        from trainwell.callbacks.budget import format_duration

        return format_duration(float(value))
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(str(item) for item in value) if value else "none"
    return repr(value) if isinstance(value, str) and (not value or " " in value) else str(value)


def closed_form_model(arch: str) -> str | None:
    """The words for a model ``--arch`` fits in closed form (it keeps no checkpoint), or ``None``."""
    return {"gbdt": "boosted trees (--arch gbdt)", "ease": "ease (--arch ease)"}.get(arch)
