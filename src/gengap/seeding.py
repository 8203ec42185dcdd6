"""Deterministic seeds derived from a cell's seed and a purpose, so that streams never collide."""

from __future__ import annotations

import hashlib

import torch


def derive_seed(seed: int, *purpose: object) -> int:
    """A 63-bit seed from ``seed`` and any labels; stable across runs, machines and versions."""
    text = "/".join([str(seed), *map(str, purpose)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def generator(seed: int, *purpose: object, device: str | torch.device = "cpu") -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(derive_seed(seed, *purpose))
    return g
