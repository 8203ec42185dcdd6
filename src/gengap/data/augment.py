"""Crops on the device, on whole batches (Zhang et al.'s CIFAR-10 preprocessing, SPEC 1.1).

Images larger than the network input (CIFAR-10: 32 -> 28) are centre-cropped for evaluation and
centre- or randomly cropped for training; images already at the input size (MNIST, 28) are
padded by ``pad`` zeros per side for the random crop, so the switch means the same thing there.
Per-image standardization happens after the crop, as in the paper.
"""

from __future__ import annotations

import torch

from gengap.data.preprocess import centre_crop, standardize, to_inputs
from gengap.settings import TrainingSettings


def random_crop(x: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    """An independent random ``size`` x ``size`` window of every image of the batch (one gather)."""
    n, c, h, w = x.shape
    top = torch.randint(h - size + 1, (n,), generator=gen, device=x.device)
    left = torch.randint(w - size + 1, (n,), generator=gen, device=x.device)
    rows = (top[:, None] + torch.arange(size, device=x.device))[:, None, :, None]
    cols = (left[:, None] + torch.arange(size, device=x.device))[:, None, None, :]
    return x[torch.arange(n, device=x.device)[:, None, None, None], torch.arange(c, device=x.device)[None, :, None, None], rows, cols]


def random_crop_batches(x_stored: torch.Tensor, settings: TrainingSettings):
    """(evaluation inputs, batch function) for a cell trained with random crops."""
    if settings.preprocess != "standardize":
        raise ValueError("random_crop is defined for image data with per-image standardization")
    pipe = CropPipeline(to_inputs(x_stored, "scale01"), settings.crop_size)
    return pipe.eval_inputs, pipe.batch


class CropPipeline:
    """Holds the raw (scaled) training images on the device; yields network inputs.

    ``eval_inputs``: centre crop + standardization of every image (computed once).
    ``batch(idx, gen)``: random crop + standardization of the images ``idx``.
    """

    def __init__(self, x01: torch.Tensor, size: int = 28, pad: int = 2):
        if x01.shape[-1] <= size:
            x01 = torch.nn.functional.pad(x01, (pad, pad, pad, pad))
        self.raw, self.size = x01, size
        self.eval_inputs = standardize(centre_crop(x01, size))

    def batch(self, idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return standardize(random_crop(self.raw[idx], self.size, gen))
