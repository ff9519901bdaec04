"""A small vision-language adapter."""

from vision_adapter.resampler import Resampler

__all__ = ["Resampler"]
