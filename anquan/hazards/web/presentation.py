"""How hazards look on the pages: badges per state and colour, duplicate reasons in words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from anquan.hazards.choices import GradingMethod, HazardState, RiskColour

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


def _number(value: Any) -> str:
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


def grading_text(data: dict[str, Any]) -> str:
    """A grading step's method and values in words: "风险矩阵法 L3 × S4 = R 12 → 黄（一般风险）"."""
    colour = data.get("risk_colour", "")
    label = str(RiskColour(colour).label) if colour in RiskColour.values else ""
    if "R" in data:
        text = _("风险矩阵法 L%(l)s × S%(s)s = R %(r)s") % {
            "l": _number(data.get("L")),
            "s": _number(data.get("S")),
            "r": _number(data["R"]),
        }
    elif "D" in data:
        text = _("LEC 法 L %(l)s × E %(e)s × C %(c)s = D %(d)s") % {
            "l": _number(data.get("L")),
            "e": _number(data.get("E")),
            "c": _number(data.get("C")),
            "d": _number(data["D"]),
        }
    else:
        return label
    return f"{text} → {label}" if label else text


def hazard_grading_text(hazard: Any) -> str:
    """How ``hazard`` was graded, in words ("" before grading or without a method's values)."""
    if hazard.grading_method == GradingMethod.LS:
        data = {"L": hazard.ls_l, "S": hazard.ls_s, "R": hazard.ls_r}
    elif hazard.grading_method == GradingMethod.LEC:
        data = {"L": hazard.lec_l, "E": hazard.lec_e, "C": hazard.lec_c, "D": hazard.lec_d}
    else:
        return ""
    return grading_text({**data, "risk_colour": hazard.risk_colour})


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
