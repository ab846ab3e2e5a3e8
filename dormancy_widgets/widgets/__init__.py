"""Interactive explorers (ipywidgets + bqplot), one per mechanism, on a shared base."""

from .base import Explorer
from .growth import GrowthExplorer

__all__ = ["Explorer", "GrowthExplorer"]
