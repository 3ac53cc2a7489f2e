"""The layers of docs ARCHITECTURE.md ("Layers and the direction of imports"), enforced on the source.

Every module under ``src/trainwell`` is parsed (never imported) and each ``import`` / ``from ... import`` of a
trainwell module is checked, including imports inside functions; imports under ``if TYPE_CHECKING:`` are
skipped (they never run). Imports by string (``importlib.import_module(f"trainwell.{app}.predictor")`` in
``export/predictor.py``) are not imports of a fixed module and are not checked.

Rules: a module may import its own package and lower layers. Between different packages of the same layer
only ``learner`` <-> ``callbacks`` may import each other; in particular the applications never import each
other. ``trainwell/__init__.py`` may import anything (it loads lazily); any module may read the root package
itself (``import trainwell`` for ``__version__``), but a public name reached through it (``trainwell.Learner``,
``from trainwell import Learner``) counts as an import of the package that defines it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "trainwell"

LAYERS: dict[str, int] = {
    "core": 0,
    **dict.fromkeys(("data", "datasets", "models", "losses", "metrics", "optim"), 1),
    **dict.fromkeys(("learner", "callbacks"), 2),
    **dict.fromkeys(("evaluate", "interpret", "export", "distributed"), 3),
    **dict.fromkeys(("tabular", "vision", "text", "collab"), 4),
    **dict.fromkeys(("report", "serve", "automl", "continual"), 5),
    "cli": 6,
    "__main__": 7,  # ``python -m trainwell``: starts the command line, above it
}
SAME_LAYER_ALLOWED = {("learner", "callbacks"), ("callbacks", "learner")}
ROOT = "trainwell"
HEAVY_MODULES = ("pandas", "matplotlib", "sklearn", "rich", "typer")


@dataclass(frozen=True)
class Violation:
    module: str
    imported: str
    importer_layer: int
    imported_layer: int
    location: str

    def __str__(self) -> str:
        return (
            f"{self.module} -> {self.imported} (layer {self.importer_layer} -> layer {self.imported_layer})"
            f"  [{self.location}]"
        )


# ------------------------------------------------------------------------------------------ collecting
def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str) -> str:
    """``trainwell.data.loader`` -> ``data``; the root package itself -> ``trainwell``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (its ``else`` branch does run)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _root_exports() -> dict[str, str]:
    """Public names of ``trainwell/__init__.py`` -> the module defining them, read from its ``_EXPORTS``."""
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets):
                return ast.literal_eval(node.value)
    return {}


def _through_root(name: str, exports: dict[str, str]) -> str:
    """What ``from trainwell import name`` or ``trainwell.name`` really loads."""
    if (SRC / name).is_dir() or (SRC / f"{name}.py").is_file():
        return f"{ROOT}.{name}"
    return exports.get(name, ROOT)


def imports_of(module: str, source: str, is_package: bool, exports: dict[str, str]) -> list[tuple[str, int]]:
    """Trainwell modules imported at run time by ``module`` (whose code is ``source``), with line numbers."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    imports_root = False
    nodes = _runtime_nodes(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == ROOT or alias.name.startswith(f"{ROOT}."):
                    found.append((alias.name, node.lineno))
                    imports_root = imports_root or (alias.name == ROOT and alias.asname is None)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == ROOT:
                found.extend((_through_root(alias.name, exports), node.lineno) for alias in node.names)
            elif target.startswith(f"{ROOT}."):
                found.append((target, node.lineno))
    if imports_root:  # `import trainwell` then `trainwell.Learner`: the attribute is what gets loaded
        for node in nodes:
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == ROOT:
                target = _through_root(node.attr, exports)
                if target != ROOT:
                    found.append((target, node.lineno))
    return found


def check_module(
    module: str,
    source: str,
    *,
    is_package: bool = False,
    location: str = "",
    exports: dict[str, str] | None = None,
) -> list[Violation]:
    """The imports of one module that break the layering."""
    importer = package_of(module)
    if importer == ROOT:
        return []  # trainwell/__init__.py: the curated, lazy public API may name anything
    violations = []
    for imported, line in imports_of(module, source, is_package, exports or {}):
        target = package_of(imported)
        if target in (importer, ROOT):
            continue
        if importer not in LAYERS or target not in LAYERS:
            raise AssertionError(f"{module} or {imported}: package missing from LAYERS in {__file__}")
        a, b = LAYERS[importer], LAYERS[target]
        if b < a or (b == a and (importer, target) in SAME_LAYER_ALLOWED):
            continue
        violations.append(Violation(module, imported, a, b, f"{location}:{line}"))
    return violations


def all_modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


# --------------------------------------------------------------------------------------------- tests
def test_every_package_has_a_layer() -> None:
    unknown = sorted({package_of(module_name(path)) for path in all_modules()} - {*LAYERS, ROOT})
    assert not unknown, f"packages without a layer (add them to LAYERS and ARCHITECTURE.md): {unknown}"


def test_imports_point_down_the_layers() -> None:
    exports = _root_exports()
    assert "Learner" in exports, "could not read _EXPORTS from trainwell/__init__.py"
    violations: list[Violation] = []
    for path in all_modules():
        violations += check_module(
            module_name(path),
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
            location=str(path.relative_to(SRC.parents[1])),
            exports=exports,
        )
    for violation in violations:
        print(violation)
    assert not violations, "imports against ARCHITECTURE.md layers:\n" + "\n".join(map(str, violations))


# The checker itself, on made-up modules: each of these must be caught (or must not be).
@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "trainwell.core.device",
            "import trainwell.tabular.data\n",
            ["trainwell.tabular.data (layer 0 -> layer 4)"],
        ),
        (
            "trainwell.data.loader",
            "def f():\n    from trainwell.learner import Learner\n",
            ["trainwell.learner (layer 1 -> layer 2)"],
        ),
        (
            "trainwell.tabular.data",
            "from trainwell.text.data import x\n",
            ["trainwell.text.data (layer 4 -> layer 4)"],
        ),
        (
            "trainwell.losses.focal",
            "from ..metrics import accuracy\n",
            ["trainwell.metrics (layer 1 -> layer 1)"],
        ),
        (
            "trainwell.core.x",
            "from trainwell import Learner\nimport trainwell\ntrainwell.tabular_data\n",
            ["trainwell.learner (layer 0 -> layer 2)", "trainwell.tabular (layer 0 -> layer 4)"],
        ),
        (
            "trainwell.core.x",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from trainwell.cli import app\n",
            [],
        ),
        ("trainwell.learner.learner", "from trainwell.callbacks.progress import ProgressBar\n", []),
        ("trainwell.callbacks.recorder", "from trainwell.learner.events import Callback\n", []),
        (
            "trainwell.tabular.data",
            "from . import io\nfrom trainwell.data.bundle import DataBundle\nimport trainwell\n"
            "v = trainwell.__version__\n",
            [],
        ),
        ("trainwell.cli.app", "from trainwell.tabular import tabular_data\n", []),
    ],
)
def test_checker_on_examples(module: str, source: str, expected: list[str]) -> None:
    exports = {"Learner": "trainwell.learner", "tabular_data": "trainwell.tabular"}
    found = check_module(module, source, exports=exports)
    assert [str(v).split("  [")[0] for v in found] == [f"{module} -> {line}" for line in expected]


def test_import_trainwell_stays_light() -> None:
    code = (
        "import sys, trainwell\n"
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('trainwell.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, submodules = done.stdout.splitlines()
    assert heavy == "", f"`import trainwell` loads {heavy}; keep them behind lazy imports"
    assert submodules == "", f"`import trainwell` loads submodules eagerly: {submodules}"
