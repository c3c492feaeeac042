"""The asset health score of the AI inspection assistant: plain, documented, deterministic.

score = 100 − Σ penalties (at least 0), each factor capped:

| factor | no penalty up to | then | cap |
|---|---|---|---|
| thermal: hot spot ΔT over the reference | 5 K | 2 points per K | 40 |
| acoustic: worst band over its baseline | 3 dB | 3 points per dB | 30 |
| gas array: worst channel over its baseline | +50 % | 4 points per 10 % | 30 |
| live tags: each tag beyond H/L 15, beyond HH/LL 25, within 10 % of the span of H/L 5 | — | — | 40 |

The thermal threshold follows the usual infrared diagnosis practice (DL/T 664-2016: a temperature
rise of a few kelvin over the reference is noticed, tens of kelvin is serious); the acoustic one the
common 3 dB "noticeable change" of condition monitoring. The numbers are configuration, here in one
place (``WEIGHTS``), not scattered.

Bands and actions: ≥ 80 正常, 60–80 关注, 40–60 安排检修, < 40 立即处置.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from anquan.inspections.choices import HealthBand


@dataclass(frozen=True)
class Weights:
    thermal_free_k: float = 5.0
    thermal_per_k: float = 2.0
    thermal_cap: float = 40.0
    acoustic_free_db: float = 3.0
    acoustic_per_db: float = 3.0
    acoustic_cap: float = 30.0
    gas_free_ratio: float = 0.5  # +50 % over the baseline
    gas_per_ratio: float = 40.0  # 4 points per 10 %
    gas_cap: float = 30.0
    tag_near: float = 5.0
    tag_over: float = 15.0
    tag_over_severe: float = 25.0
    tag_near_share: float = 0.10  # within 10 % of the span of the limit
    tags_cap: float = 40.0


WEIGHTS = Weights()


@dataclass(frozen=True)
class Thermal:
    max_c: float
    reference_c: float


@dataclass(frozen=True)
class Levels:
    """Acoustic band levels (dB) or gas channel readings, each with its baseline."""

    values: Mapping[str, float]
    baseline: Mapping[str, float]


@dataclass(frozen=True)
class TagValue:
    code: str
    name: str
    value: float
    range_low: float
    range_high: float
    l: float | None = None  # noqa: E741
    ll: float | None = None
    h: float | None = None
    hh: float | None = None


@dataclass(frozen=True)
class Reason:
    factor: str  # thermal / acoustic / gas / tag
    penalty: float
    text: str


@dataclass(frozen=True)
class Health:
    score: int
    band: str
    action: str
    reasons: list[Reason] = field(default_factory=list)


def _capped(excess: float, per: float, cap: float) -> float:
    return round(min(max(excess, 0.0) * per, cap), 1)


def band_of(score: int) -> tuple[str, str]:
    if score >= 80:
        return HealthBand.NORMAL, _("正常：按计划巡检")
    if score >= 60:
        return HealthBand.WATCH, _("关注：加密巡检，跟踪趋势")
    if score >= 40:
        return HealthBand.MAINTAIN, _("安排检修：尽快安排检查维修")
    return HealthBand.ACT_NOW, _("立即处置：现场确认，必要时停机")


def _tag_penalty(t: TagValue, w: Weights) -> tuple[float, str] | None:
    v = t.value
    if (t.hh is not None and v >= t.hh) or (t.ll is not None and v <= t.ll):
        return w.tag_over_severe, _("%(name)s %(v)s 超出高高/低低限") % {"name": t.code, "v": f"{v:g}"}
    if (t.h is not None and v >= t.h) or (t.l is not None and v <= t.l):
        return w.tag_over, _("%(name)s %(v)s 超出高/低限") % {"name": t.code, "v": f"{v:g}"}
    near = (t.range_high - t.range_low) * w.tag_near_share
    if (t.h is not None and v >= t.h - near) or (t.l is not None and v <= t.l + near):
        return w.tag_near, _("%(name)s %(v)s 接近报警限") % {"name": t.code, "v": f"{v:g}"}
    return None


def assess(
    *,
    thermal: Thermal | None = None,
    acoustic: Levels | None = None,
    gas: Levels | None = None,
    tags: Sequence[TagValue] = (),
    weights: Weights = WEIGHTS,
) -> Health:
    """The health of one asset from whatever signals it has (a missing signal costs nothing)."""
    w = weights
    reasons: list[Reason] = []
    if thermal is not None:
        delta = thermal.max_c - thermal.reference_c
        penalty = _capped(delta - w.thermal_free_k, w.thermal_per_k, w.thermal_cap)
        if penalty:
            reasons.append(
                Reason(
                    "thermal",
                    penalty,
                    _("红外热点 %(max)s °C，高于参考温度 %(ref)s °C 达 %(d)s K，扣 %(p)s 分")
                    % {"max": f"{thermal.max_c:g}", "ref": f"{thermal.reference_c:g}", "d": f"{delta:.1f}",
                       "p": f"{penalty:g}"},
                )
            )  # fmt: skip
    if acoustic is not None:
        excess = {
            b: acoustic.values[b] - acoustic.baseline[b] for b in acoustic.values if b in acoustic.baseline
        }
        if excess:
            band, worst = max(excess.items(), key=lambda kv: (kv[1], kv[0]))
            penalty = _capped(worst - w.acoustic_free_db, w.acoustic_per_db, w.acoustic_cap)
            if penalty:
                reasons.append(
                    Reason(
                        "acoustic",
                        penalty,
                        _("声学 %(band)s Hz 频段高于基线 %(d)s dB，扣 %(p)s 分")
                        % {"band": band, "d": f"{worst:.1f}", "p": f"{penalty:g}"},
                    )
                )
    if gas is not None:
        ratios = {
            ch: (gas.values[ch] - gas.baseline[ch]) / max(abs(gas.baseline[ch]), 1e-6)
            for ch in gas.values
            if ch in gas.baseline
        }
        if ratios:
            channel, worst = max(ratios.items(), key=lambda kv: (kv[1], kv[0]))
            penalty = _capped(worst - w.gas_free_ratio, w.gas_per_ratio, w.gas_cap)
            if penalty:
                reasons.append(
                    Reason(
                        "gas",
                        penalty,
                        _("气体阵列 %(ch)s 通道高于基线 %(pct)s%%，扣 %(p)s 分")
                        % {"ch": channel, "pct": f"{worst * 100:.0f}", "p": f"{penalty:g}"},
                    )
                )
    tag_total = 0.0
    tag_texts = []
    for t in sorted(tags, key=lambda t: t.code):
        found = _tag_penalty(t, w)
        if found:
            tag_total += found[0]
            tag_texts.append(found[1])
    if tag_texts:
        penalty = round(min(tag_total, w.tags_cap), 1)
        reasons.append(
            Reason(
                "tag",
                penalty,
                _("实时测点：%(list)s，扣 %(p)s 分") % {"list": "；".join(tag_texts), "p": f"{penalty:g}"},
            )
        )
    score = round(max(0.0, 100.0 - sum(r.penalty for r in reasons)))
    band, action = band_of(score)
    return Health(score=score, band=band, action=action, reasons=reasons)


def trend(scores: Sequence[int]) -> str:
    """The direction of the last scores, oldest first: 上升 / 下降 / 平稳 (a change of 5 points or more)."""
    if len(scores) < 2:
        return _("平稳")
    change = scores[-1] - scores[0]
    if change >= 5:
        return _("上升")
    if change <= -5:
        return _("下降")
    return _("平稳")
