# Copyright 2024 The MiniVLM Authors.
# SPDX-License-Identifier: Apache-2.0
from .image_slicing import slice_image
from .resampler import Resampler

__all__ = ["Resampler", "slice_image"]
