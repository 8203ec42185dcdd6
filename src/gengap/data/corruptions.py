"""The corruptions of Zhang et al. (SPEC 1.1), one registry, each a function of a generator.

A corruption is named ``name`` or ``name@param`` (``labels@0.4``). Every function takes the
clean training subset and the test inputs and returns the corrupted versions; label
corruptions never touch the test set. Randomness comes only from the generator passed in, which
the pipeline seeds from the cell's seed, so the same seed always gives the same data.

A corruption's code identity is the source of its own function and the registered items it
calls (``gengap.provenance``): editing one corruption reruns only its training sets and cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from gengap.registry import Registry


@dataclass(frozen=True)
class Corrupted:
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    num_classes: int | None = None  # set when the corruption changes the label space


@dataclass(frozen=True)
class Corruption:
    fn: Callable[..., Corrupted]
    takes_param: bool = False
    param_range: tuple[float, float] = (0.0, 1.0)
    stream: str | None = None  # name of the random stream; corruptions sharing one draw alike


CORRUPTIONS: Registry[Corruption] = Registry("corruption")


def corruption(name: str, takes_param: bool = False, stream: str | None = None):
    def decorate(fn):
        CORRUPTIONS.register(name)(Corruption(fn, takes_param, stream=stream or name))
        return fn

    return decorate


class CorruptionSpecError(ValueError):
    pass


def parse_corruption(spec: str) -> tuple[str, float | None]:
    """``'labels@0.2'`` -> ``('labels', 0.2)``; validates the name and the parameter."""
    name, _, raw = str(spec).partition("@")
    entry = CORRUPTIONS[name]  # raises UnknownNameError listing the allowed names
    if not entry.takes_param:
        if raw:
            raise CorruptionSpecError(f"corruption {name!r} takes no parameter (got {spec!r})")
        return name, None
    if not raw:
        raise CorruptionSpecError(f"corruption {name!r} needs a parameter, e.g. '{name}@0.2'")
    try:
        value = float(raw)
    except ValueError:
        raise CorruptionSpecError(f"corruption {spec!r}: parameter {raw!r} is not a number") from None
    lo, hi = entry.param_range
    if not lo <= value <= hi:
        raise CorruptionSpecError(
            f"corruption {spec!r}: p = {value} is outside [{lo:g}, {hi:g}]"
        )
    return name, value


def apply_corruption(spec: str, train_x, train_y, test_x, *, gen: torch.Generator,
                     num_classes: int, channel_mean, channel_std) -> Corrupted:
    name, value = parse_corruption(spec)
    kwargs = dict(gen=gen, num_classes=num_classes, channel_mean=channel_mean, channel_std=channel_std)
    if value is not None:
        kwargs["p"] = value
    return CORRUPTIONS[name].fn(train_x, train_y, test_x, **kwargs)


@corruption("true")
def true_labels(train_x, train_y, test_x, **_):
    """No corruption."""
    return Corrupted(train_x, train_y, test_x)


@corruption("labels", takes_param=True)
def corrupt_labels(train_x, train_y, test_x, *, gen, num_classes, p, **_):
    """Each training label, with probability p, becomes a class drawn uniformly at random.

    The uniform draws do not depend on p, so for one seed the corrupted sets are nested
    (the points corrupted at p = 0.2 are also corrupted at p = 0.4): curves over p are smooth.
    About (1 - 1/C)·p of the labels change, since a fresh draw can hit the true class.
    """
    u = torch.rand(len(train_y), generator=gen)
    fresh = torch.randint(num_classes, (len(train_y),), generator=gen)
    return Corrupted(train_x, torch.where(u < p, fresh, train_y), test_x)


def corruption_stream(spec: str) -> str:
    """The name of the random stream a corruption draws from (shared by labels and random_labels)."""
    return CORRUPTIONS[parse_corruption(spec)[0]].stream


@corruption("random_labels", stream="labels")
def random_labels(train_x, train_y, test_x, *, gen, num_classes, **_):
    """Same as labels@1.0: every training label drawn uniformly (same draws as ``labels``)."""
    torch.rand(len(train_y), generator=gen)  # keep the stream aligned with corrupt_labels
    fresh = torch.randint(num_classes, (len(train_y),), generator=gen)
    return Corrupted(train_x, fresh, test_x)


@corruption("shuffled_pixels")
def shuffled_pixels(train_x, train_y, test_x, *, gen, **_):
    """One fixed permutation of pixel positions (channels move together), train and test."""
    n_pix = train_x.shape[-2] * train_x.shape[-1]
    perm = torch.randperm(n_pix, generator=gen)

    def permute(x):
        return x.flatten(-2)[..., perm].reshape(x.shape)

    return Corrupted(permute(train_x), train_y, permute(test_x))


@corruption("random_pixels")
def random_pixels(train_x, train_y, test_x, *, gen, **_):
    """An independent permutation of pixel positions for every image, train and test."""

    def permute(x):
        flat = x.flatten(-2)  # N, C, H*W
        keys = torch.rand(flat.shape[0], flat.shape[-1], generator=gen)
        perms = keys.argsort(dim=1)  # one uniform random permutation per image
        idx = perms[:, None, :].expand_as(flat)
        return flat.gather(-1, idx).reshape(x.shape)

    return Corrupted(permute(train_x), train_y, permute(test_x))


@corruption("gaussian")
def gaussian(train_x, train_y, test_x, *, gen, channel_mean, channel_std, **_):
    """Training images replaced by Gaussian noise with the dataset's per-channel mean and std.

    Pixel units (0–255), float32; labels kept; the test set stays real (the SPEC names the
    pixel corruptions, not this one, as applying to test images).
    """
    noise = torch.randn(train_x.shape, generator=gen)
    mean = torch.as_tensor(channel_mean, dtype=torch.float32)[None, :, None, None]
    std = torch.as_tensor(channel_std, dtype=torch.float32)[None, :, None, None]
    return Corrupted(noise * std + mean, train_y, test_x)


@corruption("rademacher")
def rademacher_labels(train_x, train_y, test_x, *, gen, **_):
    """Binary labels drawn uniformly (sigma in {-1, +1} as classes 0 and 1): training on them
    measures the empirical Rademacher complexity (SPEC 1.6). The test set keeps its real labels,
    so test error is meaningless for these cells."""
    return Corrupted(train_x, torch.randint(2, (len(train_y),), generator=gen), test_x, num_classes=2)
