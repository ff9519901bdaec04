# Copyright 2024 The MiniVLM Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Compress a variable number of image features into a fixed number of tokens."""

import math

import torch
from torch import nn


def sinusoid_table(positions, channels):
    """A (positions, channels) table of sine and cosine features at geometric frequencies."""
    half = channels // 2
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = torch.arange(positions, dtype=torch.float32)[:, None] * frequencies[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def grid_positions(height, width, channels):
    """Row and column features side by side for every cell of a height x width grid."""
    rows = sinusoid_table(height, channels // 2)[:, None, :].expand(height, width, -1)
    columns = sinusoid_table(width, channels // 2)[None, :, :].expand(height, width, -1)
    return torch.cat([rows, columns], dim=-1).reshape(height * width, channels)


class Resampler(nn.Module):
    """A fixed set of learned queries reads the image features through cross-attention."""

    def __init__(self, num_queries, embed_dim, num_heads, kv_dim=None, gate=True):
        super().__init__()
        self.embed_dim = embed_dim
        self.queries = nn.Parameter(torch.randn(num_queries, embed_dim) * embed_dim**-0.5)
        self.kv_proj = nn.Linear(kv_dim or embed_dim, embed_dim, bias=False)
        self.norm_queries = nn.LayerNorm(embed_dim)
        self.norm_features = nn.LayerNorm(embed_dim)
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
        self.feed_forward = nn.Sequential(
            nn.LayerNorm(embed_dim),
            nn.Linear(embed_dim, 4 * embed_dim),
            nn.GELU(),
            nn.Linear(4 * embed_dim, embed_dim),
        )
        self.gate = nn.Parameter(torch.zeros(1)) if gate else None

    def features_with_positions(self, features, grid_sizes):
        """Project the features and add the position of each one in its image's grid."""
        projected = self.norm_features(self.kv_proj(features))
        batch, length, channels = projected.shape
        padding = torch.ones(batch, length, dtype=torch.bool, device=features.device)
        for index, (height, width) in enumerate(grid_sizes.tolist()):
            cells = height * width
            table = grid_positions(height, width, channels).to(projected)
            projected[index, :cells] = projected[index, :cells] + table
            padding[index, :cells] = False
        return projected, padding

    def forward(self, features, grid_sizes):
        keys, padding = self.features_with_positions(features, grid_sizes)
        queries = self.norm_queries(self.queries)
        queries = queries[None].repeat(len(features), 1, 1)
        attended = self.attention(queries, keys, keys, key_padding_mask=padding, need_weights=False)[0]
        if self.gate is not None:
            attended = queries + torch.tanh(self.gate) * attended
        return attended + self.feed_forward(attended)
