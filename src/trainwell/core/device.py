"""Device selection: the best available accelerator unless the user names one."""

from __future__ import annotations

import torch

from trainwell.core.errors import ConfigError


def default_device() -> torch.device:
    """CUDA if present, then Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """Turn ``None``/``"auto"``/a name into a :class:`torch.device`, with a clear error for unusable ones."""
    if device is None or device == "auto":
        return default_device()
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError(
            f"device {device!r} is not a device name; use 'cpu', 'cuda', 'cuda:1' or 'auto'"
        ) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device {device!r} was asked for but CUDA is not available here; use 'cpu' or 'auto'"
        )
    return resolved


def bf16_supported(device: torch.device) -> bool:
    """Whether bfloat16 autocast is worth using on ``device``."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu"


def is_rank_zero() -> bool:
    """True in a single process, or on rank 0 of a torch.distributed job: only rank 0 writes files."""
    import torch.distributed as dist

    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0
