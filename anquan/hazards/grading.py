"""Risk grading (LEC or an LS risk matrix) and the national dual-prevention interface's codes.
Plain functions and values; the site's matrix is stored in ``models.RiskMatrix``.

LEC (作业条件危险性评价法, Graham–Kinney): D = L × E × C, with L the likelihood, E the exposure
frequency and C the consequence, each taken from its table. The colour bands are PRODUCT.md's
(D > 320 red, 160–320 orange, 70–160 yellow, < 70 blue) with the method's usual boundaries: a band
includes its upper bound (160 < D ≤ 320 is orange, 70 < D ≤ 160 yellow, D ≤ 70 blue).

LS (风险矩阵法): R = L × S, with the likelihood L in 1 … n and the severity S in 1 … m, and the colour
of each cell as the site decides (``Matrix``). No national standard fixes the cells' colours; the
default is a 5 × 5 banding common in enterprises' dual-prevention practice, R 20–25 red, 15–16
orange, 9–12 yellow, 1–8 blue, offered as a starting point for the site to change — for another
size, the same fractions of the largest R (``default_cells``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from anquan.hazards.choices import (
    HazardCategory,
    HazardGrade,
    HazardSource,
    HazardState,
    ManageType,
    RiskColour,
)

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


# --- LS risk matrix (风险矩阵法) ---------------------------------------------------------------
LS_MIN_LEVELS, LS_MAX_LEVELS = 3, 10  # levels of L and of S a site may define
LS_MAX_LABEL = 20  # characters of one level's description
DEFAULT_LIKELIHOOD = (_("极不可能"), _("不太可能"), _("可能"), _("很可能"), _("频繁"))
DEFAULT_SEVERITY = (_("轻微"), _("较小"), _("中等"), _("严重"), _("灾难性"))
# The default banding as fractions of the largest R (n × m), highest first: (R / Rmax at least,
# colour). On 5 × 5: R ≥ 20 red, 15–16 orange, 9–12 yellow, 1–8 blue.
LS_BANDS: tuple[tuple[float, str], ...] = (
    (0.8, RiskColour.RED),
    (0.6, RiskColour.ORANGE),
    (0.36, RiskColour.YELLOW),
)


def ls_r(l_value: int, s_value: int) -> int:
    return l_value * s_value


def default_colour(r: int, r_max: int) -> str:
    """The default colour of R in a matrix whose largest R is ``r_max``."""
    for at_least, colour in LS_BANDS:
        if r >= at_least * r_max - 1e-9:
            return colour
    return RiskColour.BLUE


def default_cells(rows: int, cols: int) -> tuple[tuple[str, ...], ...]:
    """The default colours of a ``rows`` (L) × ``cols`` (S) matrix: ``cells[l - 1][s - 1]``."""
    r_max = rows * cols
    return tuple(
        tuple(default_colour(ls_r(l_value, s_value), r_max) for s_value in range(1, cols + 1))
        for l_value in range(1, rows + 1)
    )


@dataclass(frozen=True)
class Matrix:
    """A site's LS matrix: the descriptions of the levels and the colour of every cell
    (``cells[l - 1][s - 1]``; a valid matrix has exactly len(likelihood) × len(severity) cells)."""

    likelihood: tuple[str, ...]
    severity: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]

    @property
    def rows(self) -> int:
        return len(self.likelihood)

    @property
    def cols(self) -> int:
        return len(self.severity)

    def colour(self, l_value: int, s_value: int) -> str:
        """The colour of the cell (L, S), both counted from 1."""
        if not (1 <= l_value <= self.rows and 1 <= s_value <= self.cols):
            raise ValueError(f"({l_value}, {s_value}) is outside the {self.rows} × {self.cols} matrix")
        return self.cells[l_value - 1][s_value - 1]


def default_matrix() -> Matrix:
    """5 × 5 with the standard descriptions (in the current language) and the default colours."""
    likelihood = tuple(str(label) for label in DEFAULT_LIKELIHOOD)
    severity = tuple(str(label) for label in DEFAULT_SEVERITY)
    return Matrix(likelihood, severity, default_cells(len(likelihood), len(severity)))


# --- the national dual-prevention data interface ------------------------------------------------
# Hazard level (隐患级别): 0 general, 1 major. Manage type (治理类型): 0 fix at once (即查即改),
# 1 fix by a deadline (限期整改). State (隐患状态): 0 rectifying, 1 awaiting acceptance, 9 accepted.
NATIONAL_LEVEL = {HazardGrade.GENERAL: "0", HazardGrade.MAJOR: "1"}
NATIONAL_MANAGE_TYPE = {ManageType.IMMEDIATE: "0", ManageType.DEADLINE: "1"}
# Source (隐患来源 dangerSrc) and type (隐患类型 hazardDangerType): one of ours is one of theirs.
NATIONAL_SOURCE = {
    HazardSource.DAILY: "1",  # 日常排查
    HazardSource.COMPREHENSIVE: "2",  # 综合性排查
    HazardSource.SPECIALIST: "3",  # 专业性排查
    HazardSource.SEASONAL: "4",  # 季节性排查
    HazardSource.PRE_HOLIDAY: "5",  # 重点时段及节假日前排查
    HazardSource.ACCIDENT_ANALOGY: "6",  # 事故类比排查
    HazardSource.PRE_RESTART: "7",  # 复产复工前排查
    HazardSource.EXTERNAL_EXPERT: "8",  # 外聘专家诊断式排查
    HazardSource.CONTROL_FAILED: "9",  # 管控措施失效
    HazardSource.OTHER: "10",  # 其他
}
NATIONAL_HAZARD_TYPE = {
    HazardCategory.SAFETY: "1",  # 安全
    HazardCategory.PROCESS: "2",  # 工艺
    HazardCategory.ELECTRICAL: "3",  # 电气
    HazardCategory.INSTRUMENT: "4",  # 仪表
    HazardCategory.FIRE: "5",  # 消防
    HazardCategory.LAYOUT: "6",  # 总图
    HazardCategory.EQUIPMENT: "7",  # 设备
    HazardCategory.OTHER: "8",  # 其他
}
NATIONAL_STATE = {
    HazardState.RECTIFYING: "0",
    HazardState.AWAITING_ACCEPTANCE: "1",
    HazardState.ACCEPTED: "9",
    HazardState.CLOSED: "9",
}


def national_codes(hazard: Any) -> dict[str, str | None]:
    """The hazard's level, manage type, state, source and type in the national interface's codes.

    A code is None while the hazard has no such value yet: before grading there is no level or
    manage type, and before its rectification is assigned (or after a rejection) it is not a
    hazard under governance, so it has no state and is not exported.
    """
    return {
        "hazard_level": NATIONAL_LEVEL.get(hazard.grade),
        "manage_type": NATIONAL_MANAGE_TYPE.get(hazard.manage_type),
        "state": NATIONAL_STATE.get(hazard.state),
        "danger_src": NATIONAL_SOURCE.get(hazard.source),
        "hazard_danger_type": NATIONAL_HAZARD_TYPE.get(hazard.category),
    }
