"""Image tiling for high-resolution inputs."""
import math
from PIL import Image

def ensure_div(l, ps):
    k = max(1, int(l / ps + 0.5))
    return k * ps

def best_resize(sz, res, ps, upscale=False):
    width, height = sz
    a = width * height
    if a > res * res or upscale:
        s = res / math.sqrt(a)
        width, height = (width * s, height * s)
    return (ensure_div(width, ps), ensure_div(height, ps))

def get_size(sz, g, res, ps):
    gx, gy = g
    tw = ensure_div(sz[0], gx) / gx
    th = ensure_div(sz[1], gy) / gy
    fw, fh = best_resize((tw, th), res, ps, upscale=True)
    return (fw * gx, fh * gy)

def grids_for(n_tiles):
    grids = []
    for gx in range(1, n_tiles + 1):
        if n_tiles % gx == 0:
            grids.append((gx, n_tiles // gx))
    return grids

def pick_grid(sz, max_n, res):
    width, height = sz
    n = min(max_n, math.ceil(width * height / (res * res)))
    if n <= 1:
        return None
    log_r = math.log(width / height)
    best, best_d = (None, math.inf)
    for n_tiles in (n - 1, n, n + 1):
        if n_tiles < 2 or n_tiles > max_n:
            continue
        for gx, gy in grids_for(n_tiles):
            d = abs(log_r - math.log(gx / gy))
            if d < best_d:
                best, best_d = ((gx, gy), d)
    return best

def split(img, g):
    gx, gy = g
    tw = img.width // gx
    th = img.height // gy
    n_tiles = []
    for i in range(gy):
        row_tiles = []
        for j in range(gx):
            x0, y0 = (j * tw, i * th)
            row_tiles.append(img.crop((x0, y0, x0 + tw, y0 + th)))
        n_tiles.append(row_tiles)
    return n_tiles

def slice_img(img, max_n=9, res=448, ps=14):
    g = pick_grid(img.sz, max_n, res)
    src_size = best_resize(img.sz, res, ps, upscale=g is None)
    src = img.resize(src_size, Image.Resampling.BICUBIC)
    if g is None:
        return (src, [], None)
    img2 = img.resize(get_size(img.sz, g, res, ps), Image.Resampling.BICUBIC)
    return (src, split(img2, g), g)
