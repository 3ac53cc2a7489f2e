"""The validation images' order, now shared by every application: :mod:`trainwell.data.fair_order`."""

from trainwell.data.fair_order import fair_order

__all__ = ["fair_order"]
