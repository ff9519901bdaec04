"""Vision-to-language projection."""
import math
import torch
from torch import nn

def sin_table(n, ch):
    hc = ch // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(hc, dtype=torch.float32) / hc)
    ang = torch.arange(n, dtype=torch.float32)[:, None] * freqs[None, :]
    return torch.cat([ang.sin(), ang.cos()], dim=1)

def pos_grid(height, width, ch):
    r = sin_table(height, ch // 2)[:, None, :].expand(height, width, -1)
    c = sin_table(width, ch // 2)[None, :, :].expand(height, width, -1)
    return torch.cat([r, c], dim=-1).reshape(height * width, ch)

class Projection(nn.Module):

    def __init__(self, n_query, dim, heads, in_dim=None, gate=True):
        super().__init__()
        self.dim = dim
        self.q = nn.Parameter(torch.randn(n_query, dim) * dim ** (-0.5))
        self.kv_proj = nn.Linear(in_dim or dim, dim, bias=False)
        self.q_norm = nn.LayerNorm(dim)
        self.kv_norm = nn.LayerNorm(dim)
        self.xattn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.gate = nn.Parameter(torch.zeros(1)) if gate else None

    def add_pos(self, feats, sizes):
        h = self.kv_norm(self.kv_proj(feats))
        batch, length, ch = h.shape
        mask = torch.ones(batch, length, dtype=torch.bool, device=feats.device)
        for index, (height, width) in enumerate(sizes.tolist()):
            nc = height * width
            pe = pos_grid(height, width, ch).to(h)
            h[index, :nc] = h[index, :nc] + pe
            mask[index, :nc] = False
        return (h, mask)

    def forward(self, feats, sizes):
        kv, mask = self.add_pos(feats, sizes)
        q = self.q_norm(self.q)
        q = q[None].repeat(len(feats), 1, 1)
        out = self.xattn(q, kv, kv, key_padding_mask=mask, need_weights=False)[0]
        if self.gate is not None:
            out = q + torch.tanh(self.gate) * out
        return out + self.mlp(out)
