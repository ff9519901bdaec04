# SPDX-License-Identifier: MIT
"""Preprocessing for the adapter: normalisation, padding and batching of image tensors."""

import math
from dataclasses import dataclass

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class Batch:
    pixels: list
    sizes: list
    padded_to: tuple


def normalise(pixels, mean=MEAN, std=STD):
    """Per-channel normalisation of a nested list of RGB pixels in [0, 1]."""
    result = []
    for row in pixels:
        result.append([tuple((value - m) / s for value, m, s in zip(pixel, mean, std)) for pixel in row])
    return result


def pad_to(pixels, width, height, fill=(0.0, 0.0, 0.0)):
    """Pad a nested list of pixels on the right and bottom to ``width`` by ``height``."""
    padded = [list(row) + [fill] * (width - len(row)) for row in pixels]
    while len(padded) < height:
        padded.append([fill] * width)
    return padded


def collate(images):
    """Pad every image to the largest width and height of the batch, remembering the original sizes."""
    sizes = [(len(image[0]) if image else 0, len(image)) for image in images]
    width = max((size[0] for size in sizes), default=0)
    height = max((size[1] for size in sizes), default=0)
    return Batch([pad_to(image, width, height) for image in images], sizes, (width, height))


def round_patches(length, patch):
    patches = max(1, int(length / patch + 0.5))
    return patches * patch


def scale_into(size, limit, patch, upscale=False):
    w, h = size
    area = w * h
    if area > limit * limit or upscale:
        factor = limit / math.sqrt(area)
        w, h = w * factor, h * factor
    return round_patches(w, patch), round_patches(h, patch)


def grid_size(size, grid, limit, patch):
    cols, rows = grid
    tile_w = round_patches(size[0], cols) / cols
    tile_h = round_patches(size[1], rows) / rows
    fitted_w, fitted_h = scale_into((tile_w, tile_h), limit, patch, upscale=True)
    return fitted_w * cols, fitted_h * rows


def batches(images, size):
    """Split ``images`` into collated batches of at most ``size``."""
    for start in range(0, len(images), size):
        yield collate(images[start : start + size])
