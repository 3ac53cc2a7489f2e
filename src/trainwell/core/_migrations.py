"""Upgrading the metadata of artifacts written by older trainwell versions.

Each time the layout of ``trainwell.json`` changes, :data:`FORMAT_VERSION` goes up by one and one small function
is added to :data:`MIGRATIONS` under the version it upgrades *from*. Reading an artifact of format ``v`` applies
``MIGRATIONS[v]``, ``MIGRATIONS[v + 1]``, ... until the metadata is current, so every past format stays readable
through a chain of tested steps instead of one reader per version. A format change that also touches the
weights file belongs in ``artifact.py``; these functions see the metadata dictionary only.

Format history:

- 1: first format (``model.safetensors`` + ``trainwell.json``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from trainwell.core.errors import ArtifactError

FORMAT_VERSION = 1
"""The artifact format this trainwell writes; readers accept this version and every older one."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]

MIGRATIONS: dict[int, Migration] = {}
"""``{v: function}``: each function takes metadata of format ``v`` and returns it in format ``v + 1``.

The function need not set ``"format_version"``: :func:`migrate` does that after each step.
"""


def migrate(
    metadata: dict[str, Any], target: int = FORMAT_VERSION, *, source: str = "trainwell.json"
) -> dict[str, Any]:
    """Upgrade artifact metadata step by step to format ``target``.

    Args:
        metadata: Metadata read from ``trainwell.json``; its ``"format_version"`` must be an ``int`` no greater
            than ``target``. It is not modified.
        target: The format to reach (the current :data:`FORMAT_VERSION` unless a test asks otherwise).
        source: Where the metadata came from, for error messages.

    Returns:
        A new dictionary in format ``target``, with ``"format_version"`` set to ``target``.

    Raises:
        ArtifactError: If a step of the chain has no migration.

    Example:
        >>> migrate({"format_version": FORMAT_VERSION, "task": {}}) == {"format_version": FORMAT_VERSION, "task": {}}
        True
    """
    version = metadata["format_version"]
    # Work on a copy so that a migration that edits in place cannot change the caller's dictionary.
    upgraded = copy.deepcopy(metadata)
    while version < target:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ArtifactError(
                f"{source} has format_version {version}, which this trainwell cannot upgrade "
                f"(no migration from format {version} to {version + 1}; it reads formats "
                f"{_oldest_readable(target)} to {target}); re-export the model with this trainwell"
            )
        upgraded = step(upgraded)
        assert isinstance(upgraded, dict), (
            f"migration from format {version} returned {type(upgraded).__name__}"
        )
        version += 1
        upgraded["format_version"] = version
    return upgraded


def _oldest_readable(target: int) -> int:
    """The lowest format from which an unbroken chain of migrations reaches ``target``."""
    oldest = target
    while oldest - 1 in MIGRATIONS:
        oldest -= 1
    return oldest
