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
"""Cut a large image into tiles the vision encoder can read, plus one downsized overview."""

import math

from PIL import Image


def snap_to_patches(length, patch_size):
    """``length`` rounded to whole patches, at least one patch."""
    patches = max(1, int(length / patch_size + 0.5))
    return patches * patch_size


def fit_within(size, budget, patch_size, allow_upscale=False):
    """Scale ``size`` so its area is about ``budget`` squared, keeping its aspect, snapped to patches."""
    width, height = size
    area = width * height
    if area > budget * budget or allow_upscale:
        scale = budget / math.sqrt(area)
        width, height = width * scale, height * scale
    return snap_to_patches(width, patch_size), snap_to_patches(height, patch_size)


def get_refine_size(size, grid, budget, patch_size):
    """The size of the whole image once every tile of ``grid`` is fitted to the budget."""
    columns, rows = grid
    tile_width = snap_to_patches(size[0], columns) / columns
    tile_height = snap_to_patches(size[1], rows) / rows
    fitted_width, fitted_height = fit_within((tile_width, tile_height), budget, patch_size, allow_upscale=True)
    return fitted_width * columns, fitted_height * rows


def candidate_grids(tiles):
    """Every (columns, rows) whose product is ``tiles``."""
    grids = []
    for columns in range(1, tiles + 1):
        if tiles % columns == 0:
            grids.append((columns, tiles // columns))
    return grids


def choose_grid(size, max_tiles, budget):
    """The grid whose shape is closest to the image's, among grids of about as many tiles as it needs."""
    width, height = size
    needed = min(max_tiles, math.ceil(width * height / (budget * budget)))
    if needed <= 1:
        return None
    shape = math.log(width / height)
    best, best_distance = None, math.inf
    for tiles in (needed - 1, needed, needed + 1):
        if tiles < 2 or tiles > max_tiles:
            continue
        for columns, rows in candidate_grids(tiles):
            distance = abs(shape - math.log(columns / rows))
            if distance < best_distance:
                best, best_distance = (columns, rows), distance
    return best


def cut_tiles(image, grid):
    columns, rows = grid
    tile_width = image.width // columns
    tile_height = image.height // rows
    tiles = []
    for row in range(rows):
        line = []
        for column in range(columns):
            left, top = column * tile_width, row * tile_height
            line.append(image.crop((left, top, left + tile_width, top + tile_height)))
        tiles.append(line)
    return tiles


def slice_image(image, max_tiles=9, budget=448, patch_size=14):
    """The overview image, the rows of tiles (empty for a small image) and the grid used."""
    grid = choose_grid(image.size, max_tiles, budget)
    overview_size = fit_within(image.size, budget, patch_size, allow_upscale=grid is None)
    overview = image.resize(overview_size, Image.Resampling.BICUBIC)
    if grid is None:
        return overview, [], None
    refined = image.resize(get_refine_size(image.size, grid, budget, patch_size), Image.Resampling.BICUBIC)
    return overview, cut_tiles(refined, grid), grid
