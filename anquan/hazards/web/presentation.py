"""How hazards look on the pages: badges per state and colour, duplicate reasons in words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from anquan.hazards.choices import HazardState, RiskColour

STATE_BADGES: dict[str, str] = {
    HazardState.REPORTED: "text-bg-warning",
    HazardState.REJECTED: "text-bg-secondary",
    HazardState.VERIFIED: "text-bg-info",
    HazardState.GRADED: "text-bg-info",
    HazardState.RECTIFYING: "text-bg-primary",
    HazardState.AWAITING_ACCEPTANCE: "text-bg-primary",
    HazardState.ACCEPTED: "text-bg-success",
    HazardState.CLOSED: "text-bg-success",
}

COLOUR_BADGES: dict[str, str] = {
    RiskColour.RED: "hz-red",
    RiskColour.ORANGE: "hz-orange",
    RiskColour.YELLOW: "hz-yellow",
    RiskColour.BLUE: "hz-blue",
}


def reason_text(reason: dict[str, Any]) -> str:
    """One reason a report looks like another, in words."""
    kind, value = reason.get("kind"), reason.get("value")
    if kind == "same_equipment":
        return _("同一设备")
    if kind == "same_area":
        return _("同一区域")
    if kind == "text":
        return _("描述相似 %(pct)d%%") % {"pct": round(float(value or 0) * 100)}
    if kind == "photo":
        return _("照片相似（差异 %(bits)d 位）") % {"bits": int(value or 0)}
    if kind == "time":
        return _("相隔 %(hours)s 小时") % {"hours": value}
    return str(kind)
