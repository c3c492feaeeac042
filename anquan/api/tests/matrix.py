"""One entry of the API permission matrix (test_permission_matrix.py walks every entry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from anquan.conftest import World


@dataclass(frozen=True)
class Op:
    """How to exercise one operation.

    ``target`` builds (or picks) the record the path names, or that a list must show the right
    caller and hide from the other-scope callers. ``wrong``/``other`` are None only with ``why``.
    """

    right: str | None
    ok: int = 200
    wrong: str | None = None
    other: tuple[str, ...] = ()
    other_status: int = 404
    denied: tuple[tuple[str, int], ...] = ()  # further callers and the status each must get
    target: Callable[[World], Model] | None = None
    payload: Callable[[World], dict[str, Any]] | None = None
    public: bool = False  # no login needed (token issue): anonymous gets ``ok``
    audited: bool = True  # a successful write adds to the audit trail
    why: str = ""  # why there is no wrong-role or other-scope caller
    query: Callable[[World], dict[str, Any]] | None = None  # query-string parameters
    multipart: bool = False  # the payload is a form with files (built afresh for every call)
    returns_json: bool = True  # False: a file download
    other_filtered: bool = True  # a list: other-scope callers get it without the record (else other_status)
