from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def media(settings: Any) -> Path:
    """The fresh local disk every test stores its attachments on (set up by anquan/conftest.py)."""
    return Path(settings.MEDIA_ROOT)
