"""Likely duplicates: how much a new report looks like an open hazard. Plain functions.

Four signals, each a named weight: the same equipment (or else the same area), similar text (jieba
words and character bigrams, Jaccard), a similar photo (difference hash, Hamming distance) and a
short time apart. A pair scoring at least ``THRESHOLD`` is a likely duplicate; the verifier decides.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import imagehash
import jieba
from PIL import Image

jieba.setLogLevel(logging.WARNING)

WINDOW_DAYS = 30  # open hazards of the same site reported within this many days are compared
WEIGHT_SAME_EQUIPMENT = 0.35
WEIGHT_SAME_AREA = 0.2
WEIGHT_TEXT = 0.35  # times the text similarity, counted from TEXT_MIN up
TEXT_MIN = 0.3
WEIGHT_PHOTO = 0.3  # a photo pair within PHOTO_MAX_DISTANCE bits (of 64)
PHOTO_MAX_DISTANCE = 10
WEIGHT_CLOSE_IN_TIME = 0.1
CLOSE_IN_TIME = dt.timedelta(hours=48)
THRESHOLD = 0.5
MAX_CANDIDATES = 5

_WORD = re.compile(r"\w", re.UNICODE)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def words(text: str) -> set[str]:
    """jieba's words of ``text`` that hold a letter, digit or character (no punctuation)."""
    return {w.strip() for w in jieba.lcut(_normalise(text)) if w.strip() and _WORD.search(w)}


def bigrams(text: str) -> set[str]:
    chars = [c for c in _normalise(text) if _WORD.match(c)]
    return {a + b for a, b in itertools.pairwise(chars)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def text_similarity(a: str, b: str) -> float:
    """0 … 1: the mean of the word and the character-bigram Jaccard similarities."""
    return round((jaccard(words(a), words(b)) + jaccard(bigrams(a), bigrams(b))) / 2, 4)


def photo_hash(stream: IO[bytes]) -> str:
    """The 64-bit difference hash (dHash) of an image, as 16 hex digits."""
    with Image.open(stream) as image:
        return str(imagehash.dhash(image))


def photo_distance(a: Sequence[str], b: Sequence[str]) -> int | None:
    """The smallest Hamming distance between any photo of ``a`` and any of ``b`` (None: no pair)."""
    best: int | None = None
    for x in a:
        for y in b:
            d = int(imagehash.hex_to_hash(x) - imagehash.hex_to_hash(y))
            best = d if best is None else min(best, d)
    return best


@dataclass(frozen=True)
class Report:
    """What is compared of a hazard."""

    pk: int
    area_id: int
    equipment_id: int | None
    text: str
    photo_hashes: tuple[str, ...]
    at: dt.datetime


def score(new: Report, old: Report) -> tuple[float, list[dict[str, Any]]]:
    """The likeness of ``new`` to ``old`` and the reasons for it."""
    total = 0.0
    reasons: list[dict[str, Any]] = []
    if new.equipment_id is not None and new.equipment_id == old.equipment_id:
        total += WEIGHT_SAME_EQUIPMENT
        reasons.append({"kind": "same_equipment"})
    elif new.area_id == old.area_id:
        total += WEIGHT_SAME_AREA
        reasons.append({"kind": "same_area"})
    similarity = text_similarity(new.text, old.text)
    if similarity >= TEXT_MIN:
        total += WEIGHT_TEXT * similarity
        reasons.append({"kind": "text", "value": similarity})
    distance = photo_distance(new.photo_hashes, old.photo_hashes)
    if distance is not None and distance <= PHOTO_MAX_DISTANCE:
        total += WEIGHT_PHOTO
        reasons.append({"kind": "photo", "value": distance})
    if abs(new.at - old.at) <= CLOSE_IN_TIME:
        total += WEIGHT_CLOSE_IN_TIME
        hours = round(abs(new.at - old.at).total_seconds() / 3600, 1)
        reasons.append({"kind": "time", "value": hours})
    return round(total, 4), reasons


def likely_duplicates(
    new: Report, open_reports: Iterable[Report]
) -> list[tuple[int, float, list[dict[str, Any]]]]:
    """The open reports ``new`` likely duplicates: (pk, score, reasons), best first, at most
    ``MAX_CANDIDATES``."""
    found = []
    for old in open_reports:
        if old.pk == new.pk:
            continue
        value, reasons = score(new, old)
        if value >= THRESHOLD:
            found.append((old.pk, value, reasons))
    found.sort(key=lambda item: (-item[1], item[0]))
    return found[:MAX_CANDIDATES]
