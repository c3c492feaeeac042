"""English is a whole translation: no message left untranslated or fuzzy (ADR 0001)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_the_english_catalogue_translates_every_message() -> None:
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh)
    missing = [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert missing == []


def test_switching_to_english_translates_the_interface(settings) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    from anquan.org.choices import Role

    with translation.override("en"):
        assert str(Role.SAFETY_OFFICER.label) == "Safety officer"
    with translation.override("zh-hans"):
        assert str(Role.SAFETY_OFFICER.label) == "安全员"
