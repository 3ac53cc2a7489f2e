"""The public API: ``trainwell.__all__`` is pinned here, so adding or removing a public name is a visible change.

Each top-level name is checked to be the very object its home package defines (they load lazily, PEP 562),
``dir(trainwell)`` to list exactly them, and the ``if TYPE_CHECKING:`` imports that IDEs read to match.
The ``__all__`` lists of the subpackages are still growing: only checked to name things that exist.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import trainwell

# public name -> the package a user can also import it from
EXPECTED: dict[str, str] = {
    "ClassificationInterpretation": "trainwell.interpret",
    "cross_validate": "trainwell.evaluate",
    "Evaluation": "trainwell.evaluate",
    "evaluate_table": "trainwell.tabular",
    "evaluate_texts": "trainwell.text",
    "evaluate_tagger": "trainwell.text",
    "evaluate_language_model": "trainwell.text",
    "evaluate_images": "trainwell.vision",
    "evaluate_ratings": "trainwell.collab",
    "bootstrap_ci": "trainwell.evaluate",
    "AdaBelief": "trainwell.optim",
    "ArtifactError": "trainwell.core",
    "Callback": "trainwell.learner",
    "CancelBatch": "trainwell.learner",
    "CancelEpoch": "trainwell.learner",
    "CancelFit": "trainwell.learner",
    "CancelStep": "trainwell.learner",
    "CancelTrain": "trainwell.learner",
    "CancelValidate": "trainwell.learner",
    "ConfigError": "trainwell.core",
    "DataBundle": "trainwell.data",
    "DataError": "trainwell.core",
    "Event": "trainwell.learner",
    "Learner": "trainwell.learner",
    "Task": "trainwell.data",
    "TensorLoader": "trainwell.data",
    "UserError": "trainwell.core",
    "__version__": "trainwell",
    "callbacks": "trainwell.callbacks",
    "create_loss": "trainwell.losses",
    "create_model": "trainwell.models",
    "create_optimizer": "trainwell.optim",
    "datasets": "trainwell.datasets",
    "export": "trainwell.export",
    "fit_table": "trainwell.tabular",
    "get_metric": "trainwell.metrics",
    "infer_task": "trainwell.data",
    "read_table": "trainwell.data",
    "list_models": "trainwell.models",
    "load": "trainwell.export",
    "seed_everything": "trainwell.core",
    "tabular_data": "trainwell.tabular",
    "tabular_learner": "trainwell.tabular",
    "tensor_data": "trainwell.data",
    "image_data": "trainwell.vision",
    "vision_learner": "trainwell.vision",
    "fit_images": "trainwell.vision",
    "occlusion_map": "trainwell.interpret",
    "RegressionInterpretation": "trainwell.interpret",
    "permutation_importance": "trainwell.report",
    "ratings_data": "trainwell.collab",
    "collab_learner": "trainwell.collab",
    "fit_ratings": "trainwell.collab",
    "text_data": "trainwell.text",
    "text_classifier_learner": "trainwell.text",
    "fit_texts": "trainwell.text",
    "lm_data": "trainwell.text",
    "language_model_learner": "trainwell.text",
    "fit_language_model": "trainwell.text",
    "tagging_data": "trainwell.text",
    "tagging_learner": "trainwell.text",
    "fit_tagger": "trainwell.text",
    "tune_images": "trainwell.automl",
    "tune_ratings": "trainwell.automl",
    "tune_table": "trainwell.automl",
    "tune_tagger": "trainwell.automl",
    "tune_texts": "trainwell.automl",
}
EXPECTED_ALL = sorted(EXPECTED)
SUBPACKAGES = (
    "trainwell.export",
    "trainwell.metrics",
    "trainwell.optim",
    "trainwell.data",
    "trainwell.learner",
    "trainwell.callbacks",
    "trainwell.vision",
    "trainwell.interpret",
    "trainwell.collab",
    "trainwell.distributed",
    "trainwell.automl",
    "trainwell.continual",
)


def test_all_is_pinned_and_sorted() -> None:
    assert trainwell.__all__ == EXPECTED_ALL


def test_dir_lists_exactly_the_public_names() -> None:
    assert dir(trainwell) == EXPECTED_ALL


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_each_public_name_is_the_object_its_package_defines(name: str) -> None:
    value = getattr(trainwell, name)
    home = importlib.import_module(EXPECTED[name])
    if name in ("callbacks", "datasets", "export"):
        assert value is home
    else:
        assert value is getattr(home, name)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'trainwell' has no attribute 'Lerner'"):
        _ = trainwell.Lerner  # type: ignore[attr-defined]


def test_type_checking_imports_match_all() -> None:
    """What type checkers and IDEs see (the ``if TYPE_CHECKING:`` block) names every public name."""
    tree = ast.parse(Path(trainwell.__file__).read_text(encoding="utf-8"))
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    seen: dict[str, str] = {}
    for node in ast.walk(blocks[0]):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                seen[alias.asname or alias.name] = node.module or ""
    modules = {name: "trainwell" if module == "trainwell" else module for name, module in seen.items()}
    expected = {name: home for name, home in EXPECTED.items() if name != "__version__"}
    expected.update(
        {name: "trainwell" for name in ("callbacks", "datasets", "export")}
    )  # `from trainwell import callbacks`
    assert modules == expected


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_subpackage_all_names_exist(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert names, f"{package}.__all__ is empty"
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ lists names it does not define: {missing}"


def test_importing_trainwell_first_sets_a_short_openmp_spin_unless_the_user_chose() -> None:
    import os
    import subprocess
    import sys

    probe = "import trainwell, os; print(os.environ.get('GOMP_SPINCOUNT'))"
    clean = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}

    def spin(code: str, **extra: str) -> str:
        run = subprocess.run(
            [sys.executable, "-c", code], env={**clean, **extra}, capture_output=True, text=True
        )
        return run.stdout.strip()

    assert spin(probe) == "30000"
    assert spin(probe, GOMP_SPINCOUNT="50000") == "50000"
    assert spin(probe, OMP_WAIT_POLICY="ACTIVE") == "None"
    assert spin("import torch; " + probe) == "None"  # too late once torch is loaded: left alone


def test_the_pipelines_take_their_inputs_alike(tmp_path: Path) -> None:
    """Labels beside an array as image_data takes them, target= for ratings as for the other pipelines, and
    predict on every loaded model (a language model's is its scores)."""
    import numpy as np

    from ratings_support import low_rank_ratings
    from text_samples import stories

    images = np.random.default_rng(0).integers(0, 255, (40, 12, 12), dtype=np.uint8)
    run = trainwell.fit_images(images, [0, 1] * 20, epochs=1, progress=False, augmentation="none")
    assert run.data.task.kind == "binary"
    frame = low_rank_ratings(n_ratings=300).frame
    assert (
        trainwell.fit_ratings(frame, target="rating", epochs=1, progress=False).data.task.kind == "regression"
    )
    with pytest.raises(trainwell.ConfigError, match="name the same thing"):
        trainwell.fit_ratings(frame, target="rating", rating="stars", progress=False)
    lm = trainwell.fit_language_model(stories(60), out=tmp_path / "lm", epochs=1, progress=False, batch_size=4,
                                      bptt=8, learner_kwargs={"emb_size": 8, "hidden_size": 8, "n_layers": 1})  # fmt: skip
    scores = trainwell.load(tmp_path / "lm").predict(["name1 saw the cat ."])
    assert list(scores.columns) == ["tokens", "unknown", "log_prob", "perplexity"] and lm is not None


def test_each_subpackage_is_an_attribute_of_the_root_package() -> None:
    # The README writes trainwell.continual.Consolidation and trainwell.metrics.metric_function: after a bare
    # `import trainwell` they failed ("module 'trainwell' has no attribute 'continual'") unless something else
    # had imported the subpackage first.
    code = (
        "import trainwell, sys\n"
        "assert 'trainwell.continual' not in sys.modules\n"
        "print(trainwell.continual.Consolidation.__name__, trainwell.metrics.metric_function.__name__,"
        " trainwell.distributed.distribute.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["Consolidation", "metric_function", "distribute"], done.stderr
