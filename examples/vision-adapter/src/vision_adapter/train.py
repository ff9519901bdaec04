# SPDX-License-Identifier: MIT
"""Training loop for the adapter."""

from vision_adapter.resampler import Resampler


def build(dim: int = 256) -> Resampler:
    return Resampler(num_queries=64, embed_dim=dim, num_heads=8, kv_dim=1024)
