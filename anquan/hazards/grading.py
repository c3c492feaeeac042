"""Risk grading (LEC) and the national dual-prevention interface's codes. Plain functions.

LEC (作业条件危险性评价法, Graham–Kinney): D = L × E × C, with L the likelihood, E the exposure
frequency and C the consequence, each taken from its table. The colour bands are PRODUCT.md's
(D > 320 red, 160–320 orange, 70–160 yellow, < 70 blue) with the method's usual boundaries: a band
includes its upper bound (160 < D ≤ 320 is orange, 70 < D ≤ 160 yellow, D ≤ 70 blue).
"""

from __future__ import annotations

from typing import Any

from anquan.hazards.choices import HazardGrade, HazardState, ManageType, RiskColour

# The values each factor may take (LEC method tables).
LEC_L = (0.1, 0.2, 0.5, 1.0, 3.0, 6.0, 10.0)
LEC_E = (0.5, 1.0, 2.0, 3.0, 6.0, 10.0)
LEC_C = (1.0, 3.0, 7.0, 15.0, 40.0, 100.0)

# Lower bounds (exclusive) of the bands, highest first: (D above, colour).
LEC_BANDS: tuple[tuple[float, str], ...] = (
    (320.0, RiskColour.RED),
    (160.0, RiskColour.ORANGE),
    (70.0, RiskColour.YELLOW),
)


def lec_d(l_value: float, e_value: float, c_value: float) -> float:
    return round(l_value * e_value * c_value, 4)


def lec_colour(d: float) -> str:
    """The risk colour of a D value."""
    for above, colour in LEC_BANDS:
        if d > above:
            return colour
    return RiskColour.BLUE


# --- the national dual-prevention data interface ------------------------------------------------
# Hazard level (隐患级别): 0 general, 1 major. Manage type (治理类型): 0 fix at once (即查即改),
# 1 fix by a deadline (限期整改). State (隐患状态): 0 rectifying, 1 awaiting acceptance, 9 accepted.
NATIONAL_LEVEL = {HazardGrade.GENERAL: "0", HazardGrade.MAJOR: "1"}
NATIONAL_MANAGE_TYPE = {ManageType.IMMEDIATE: "0", ManageType.DEADLINE: "1"}
NATIONAL_STATE = {
    HazardState.RECTIFYING: "0",
    HazardState.AWAITING_ACCEPTANCE: "1",
    HazardState.ACCEPTED: "9",
    HazardState.CLOSED: "9",
}


def national_codes(hazard: Any) -> dict[str, str | None]:
    """The hazard's level, manage type and state in the national interface's codes.

    A code is None while the hazard has no such value yet: before grading there is no level or
    manage type, and before its rectification is assigned (or after a rejection) it is not a
    hazard under governance, so it has no state and is not exported.
    """
    return {
        "hazard_level": NATIONAL_LEVEL.get(hazard.grade),
        "manage_type": NATIONAL_MANAGE_TYPE.get(hazard.manage_type),
        "state": NATIONAL_STATE.get(hazard.state),
    }
