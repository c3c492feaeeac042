"""The asset health score of the AI inspection assistant: plain, documented, deterministic.

score = 100 − Σ penalties (at least 0), each factor capped. The defaults (``Weights()``):

| factor | no penalty up to | then | cap |
|---|---|---|---|
| thermal: hot spot ΔT over the reference | 5 K | 2 points per K | 40 |
| acoustic: worst band over its baseline | 3 dB | 3 points per dB | 30 |
| gas array: worst channel over its baseline | +50 % | 4 points per 10 % | 30 |
| live tags: each tag beyond H/L 15, beyond HH/LL 25, within 10 % of the span of H/L 5 | — | — | 40 |

The thermal threshold follows the usual infrared diagnosis practice (DL/T 664-2016: a temperature
rise of a few kelvin over the reference is noticed, tens of kelvin is serious); the acoustic one the
common 3 dB "noticeable change" of condition monitoring.

Bands and actions (default edges): ≥ 80 正常, 60–80 关注, 40–60 安排检修, < 40 立即处置.

The numbers are configuration, in one place (``Weights``): each site may set its own weights and
band edges in the UI (``HealthWeights``, checked by ``problems``; a site that has none scores with
the defaults). ``assess`` takes the weights as an argument and never reads them itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    normal_from: float = 80.0  # bands: ≥ normal_from 正常, ≥ watch_from 关注,
    watch_from: float = 60.0  # ≥ maintain_from 安排检修, below it 立即处置
    maintain_from: float = 40.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Weights:
        """Weights from checked values (``problems`` found none); a missing one is its default."""
        return cls(**{f.name: float(values[f.name]) for f in fields(cls) if f.name in values})


WEIGHTS = Weights()  # the defaults
NAMES = tuple(f.name for f in fields(Weights))


@dataclass(frozen=True)
class Setting:
    """How one weight is shown and checked: its label, unit and meaning, and its largest value."""

    name: str
    group: Promise
    label: Promise
    unit: Promise
    help: Promise
    maximum: float


_THERMAL, _ACOUSTIC, _GAS = gettext_lazy("红外热像"), gettext_lazy("声学"), gettext_lazy("气体/气味阵列")
_TAGS, _BANDS = gettext_lazy("实时测点"), gettext_lazy("等级划分")
_POINTS = gettext_lazy("分")
SETTINGS: tuple[Setting, ...] = (
    Setting("thermal_free_k", _THERMAL, gettext_lazy("不扣分的温升"), gettext_lazy("K"),
            gettext_lazy("热点高于参考温度不超过此值时不扣分（DL/T 664-2016）。"), 500),
    Setting("thermal_per_k", _THERMAL, gettext_lazy("每超出 1 K 扣分"), gettext_lazy("分/K"),
            gettext_lazy("温升超过上一项后，每 1 K 扣的分数。"), 100),
    Setting("thermal_cap", _THERMAL, gettext_lazy("扣分上限"), _POINTS,
            gettext_lazy("红外热像一项最多扣的分数。"), 100),
    Setting("acoustic_free_db", _ACOUSTIC, gettext_lazy("不扣分的增量"), gettext_lazy("dB"),
            gettext_lazy("最差频段高于基线不超过此值时不扣分（3 dB 为可察觉的变化）。"), 100),
    Setting("acoustic_per_db", _ACOUSTIC, gettext_lazy("每超出 1 dB 扣分"), gettext_lazy("分/dB"),
            gettext_lazy("增量超过上一项后，每 1 dB 扣的分数。"), 100),
    Setting("acoustic_cap", _ACOUSTIC, gettext_lazy("扣分上限"), _POINTS,
            gettext_lazy("声学一项最多扣的分数。"), 100),
    Setting("gas_free_ratio", _GAS, gettext_lazy("不扣分的相对增量"), gettext_lazy("倍（0.5 = +50 %）"),
            gettext_lazy("最差通道高于基线的比例不超过此值时不扣分。"), 100),
    Setting("gas_per_ratio", _GAS, gettext_lazy("每超出 100 % 扣分"), gettext_lazy("分/100 %"),
            gettext_lazy("相对增量超过上一项后，每高出基线 100 % 扣的分数（40 即每 10 % 扣 4 分）。"), 1000),
    Setting("gas_cap", _GAS, gettext_lazy("扣分上限"), _POINTS,
            gettext_lazy("气体阵列一项最多扣的分数。"), 100),
    Setting("tag_near", _TAGS, gettext_lazy("接近报警限"), gettext_lazy("分/测点"),
            gettext_lazy("测点值接近高/低报警限时，每个测点扣的分数。"), 100),
    Setting("tag_over", _TAGS, gettext_lazy("超出高/低限"), gettext_lazy("分/测点"),
            gettext_lazy("测点值超出高/低报警限时，每个测点扣的分数。"), 100),
    Setting("tag_over_severe", _TAGS, gettext_lazy("超出高高/低低限"), gettext_lazy("分/测点"),
            gettext_lazy("测点值超出高高/低低报警限时，每个测点扣的分数。"), 100),
    Setting("tag_near_share", _TAGS, gettext_lazy("“接近”的范围"), gettext_lazy("量程的比例（0.1 = 10 %）"),
            gettext_lazy("测点值距高/低限不超过量程的此比例时算接近报警限。"), 1),
    Setting("tags_cap", _TAGS, gettext_lazy("扣分上限"), _POINTS,
            gettext_lazy("实时测点一项（所有测点合计）最多扣的分数。"), 100),
    Setting("normal_from", _BANDS, gettext_lazy("“正常”的最低分"), _POINTS,
            gettext_lazy("健康分不低于此值为正常，按计划巡检。"), 100),
    Setting("watch_from", _BANDS, gettext_lazy("“关注”的最低分"), _POINTS,
            gettext_lazy("健康分不低于此值（且低于正常）为关注，加密巡检。"), 100),
    Setting("maintain_from", _BANDS, gettext_lazy("“安排检修”的最低分"), _POINTS,
            gettext_lazy("健康分不低于此值（且低于关注）为安排检修；低于此值为立即处置。"), 100),
)  # fmt: skip


def problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong with proposed weights (every field of ``Weights``), by field; {} if nothing."""
    errors: dict[str, list[str]] = {}
    numbers: dict[str, float] = {}
    for s in SETTINGS:
        raw = values.get(s.name)
        if raw is None or raw == "":
            errors[s.name] = [_("此字段为必填项。")]
        elif isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            errors[s.name] = [_("请输入有限的数字。")]
        elif raw < 0:
            errors[s.name] = [_("不能为负数。")]
        elif raw > s.maximum:
            errors[s.name] = [_("不能大于 %(max)s。") % {"max": f"{s.maximum:g}"}]
        else:
            numbers[s.name] = float(raw)

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    n = numbers
    if {"tag_near", "tag_over"} <= n.keys() and n["tag_over"] < n["tag_near"]:
        add("tag_over", _("超出高/低限的扣分不能低于接近报警限的扣分。"))
    if {"tag_over", "tag_over_severe"} <= n.keys() and n["tag_over_severe"] < n["tag_over"]:
        add("tag_over_severe", _("超出高高/低低限的扣分不能低于超出高/低限的扣分。"))
    if {"watch_from", "normal_from"} <= n.keys() and n["watch_from"] >= n["normal_from"]:
        add("watch_from", _("必须低于“正常”的最低分。"))
    if {"maintain_from", "watch_from"} <= n.keys() and n["maintain_from"] >= n["watch_from"]:
        add("maintain_from", _("必须低于“关注”的最低分。"))
    if n.get("maintain_from") == 0:
        add("maintain_from", _("必须大于 0。"))
    return errors


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


def band_of(score: int, weights: Weights) -> tuple[str, str]:
    if score >= weights.normal_from:
        return HealthBand.NORMAL, _("正常：按计划巡检")
    if score >= weights.watch_from:
        return HealthBand.WATCH, _("关注：加密巡检，跟踪趋势")
    if score >= weights.maintain_from:
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
    weights: Weights,
) -> Health:
    """The health of one asset from whatever signals it has (a missing signal costs nothing),
    scored with ``weights`` (the site's, or ``WEIGHTS``)."""
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
    band, action = band_of(score, w)
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
