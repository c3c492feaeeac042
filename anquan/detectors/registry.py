"""The detectors by name. ``DEFAULT`` is the one the platform and the batch CLI use unless told.

Optional detectors register themselves when their extra is installed: ``anquan.detectors.lstm``
(needs the ``deep`` extra, PyTorch) is imported under a guard at the end of this module and calls
``register("lstm")`` itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from anquan.detectors.base import Detector

DETECTORS: dict[str, type[Detector]] = {}
DEFAULT = "ensemble"


def register(name: str) -> Callable[[type[Detector]], type[Detector]]:
    """Class decorator: make a detector known by ``name`` (its ``name`` attribute is set too)."""

    def deco(cls: type[Detector]) -> type[Detector]:
        cls.name = name
        DETECTORS[name] = cls
        return cls

    return deco


def get(name: str) -> type[Detector]:
    """The detector class called ``name`` (``KeyError`` naming the known ones otherwise)."""
    try:
        return DETECTORS[name]
    except KeyError:
        raise KeyError(f"unknown detector {name!r}; known: {', '.join(sorted(DETECTORS))}") from None


def create(name: str = DEFAULT, **params: object) -> Detector:
    return get(name)(**params)


# Built-in detectors register on import.
from anquan.detectors import ensemble, iforest, pca  # noqa: E402, F401

with contextlib.suppress(ImportError):  # the LSTM detector needs the optional deep extra (PyTorch)
    from anquan.detectors import lstm  # noqa: F401
