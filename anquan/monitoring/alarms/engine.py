"""The alarm rule engine: plain Python, no Django, no database.

Rules are data (``RuleSpec``); the engine keeps one small state machine per rule, is fed readings
``(tag_id, ts_ms, value)`` and clock ticks ``tick(now_ms)``, and answers with ``Transition``s
(activate / return, each with its time and value). What a rule must remember to survive a restart
(pending on/off delay since, last values, trend windows, …) is a JSON-able dict: ``memory(rule_id)``
gives it, ``load(spec, memory, active=…)`` takes it back.

Time is data time: a reading is evaluated at its own timestamp; timers (on/off delays, stale data,
an interlock's response time) expire on ``tick(now_ms)`` or on the next reading after them, whichever comes first, and always at
the time they were due, so the outcome does not depend on how often the clock ticks.

The condition of a rule, between two evaluations, is taken to hold as last evaluated (sample and
hold). Each rule has two forms of its condition: ``raise`` (becomes an alarm) and ``hold`` (stays an
alarm; ``raise`` relaxed by the deadband, the hysteresis that stops chattering).

State machine of one rule (delays in ms; both may be zero):

    normal --raise--> pending on (since t) --raise held for on_delay--> active   [activate at t+on_delay]
           (on_delay == 0: activate at once)    --raise false before------> normal (nothing happened)
    active --not hold--> pending off (since t) --not hold for off_delay--> normal [return at t+off_delay]
           (off_delay == 0: return at once)     --hold again before-------> active
"""

from __future__ import annotations

import math
import operator
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MEMORY_VERSION = 1
DEFAULT_RATE_WINDOW_S = 60  # rate of change and trends: over the last minute of data
DISCRETE_TOLERANCE = 1e-6  # a discrete value equals the alarm value within this

Reading = tuple[int, int, float]


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the engine needs it (a row of ``AlarmRule`` without Django)."""

    id: int
    kind: str  # limit | rate | deviation | stale | flatline | discrete | compound | interlock
    tags: tuple[int, ...]  # the tags it reads; the primary tag first
    params: Mapping[str, Any] = field(default_factory=dict)
    deadband: float = 0.0
    on_delay_s: float = 0
    off_delay_s: float = 0
    priority: str = "low"


@dataclass(frozen=True, slots=True)
class Transition:
    rule_id: int
    active: bool  # True: the alarm condition activated; False: it returned to normal
    ts: int  # epoch ms (data time)
    value: float | None  # the primary value at that time (None for stale data)


def tags_of(kind: str, tag_id: int | None, params: Mapping[str, Any]) -> tuple[int, ...]:
    """The tags a rule reads, the primary one first (no duplicates)."""
    out: list[int] = [] if tag_id is None else [int(tag_id)]
    if kind == "deviation" and params.get("reference_tag") is not None:
        out.append(int(params["reference_tag"]))
    elif kind == "compound":
        out += [int(term["tag"]) for term in params.get("terms", ())]
    elif kind == "interlock" and params.get("output_tag") is not None:
        out.append(int(params["output_tag"]))
    return tuple(dict.fromkeys(out))


# --- rules --------------------------------------------------------------------------------------
class _Rule:
    """The delay/hysteresis state machine shared by every kind; kinds decide raise/hold."""

    soft = False  # keeps memory that changes with (almost) every reading: checkpointed, not per change
    multi = False  # reads several tags
    clocked = False  # has time-driven conditions: ``clock(now)`` on every tick

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        self.id = spec.id
        self.spec = spec
        self.engine = engine
        self.on_ms = round(float(spec.on_delay_s) * 1000)
        self.off_ms = round(float(spec.off_delay_s) * 1000)
        self.deadband = float(spec.deadband or 0.0)
        self.active = False
        self.on: int | None = None  # pending activation since (ms)
        self.off: int | None = None  # pending return since (ms)
        self.t = -(2**62)  # the last evaluation time (evaluation never goes back in time)
        self.pv: float | None = None  # the value last evaluated
        self.av: float | None = None  # the value at the last activation

    # memory ---------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        memory: dict[str, Any] = {"v": MEMORY_VERSION, "active": self.active}
        if self.on is not None:
            memory["on"] = self.on
        if self.off is not None:
            memory["off"] = self.off
        if self.t > -(2**62):
            memory["t"] = self.t
        if self.pv is not None:
            memory["pv"] = self.pv
        if self.av is not None:
            memory["av"] = self.av
        memory.update(self.dump_soft())
        return memory

    def restore(self, memory: Mapping[str, Any], active: bool) -> None:
        self.active = active
        self.on = _int_or_none(memory.get("on")) if not active else None
        self.off = _int_or_none(memory.get("off")) if active else None
        t = _int_or_none(memory.get("t"))
        if t is not None:
            self.t = t
        self.pv = _float_or_none(memory.get("pv"))
        self.av = _float_or_none(memory.get("av"))
        self.restore_soft(memory)
        self._timers_changed()

    def dump_soft(self) -> dict[str, Any]:
        return {}

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        return None

    # evaluation -----------------------------------------------------------------------------
    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        raise NotImplementedError

    def clock(self, now: int, out: list[Transition]) -> None:
        """Time-driven conditions (stale data); the default has none."""
        return None

    def advance(self, now: int, out: list[Transition]) -> None:
        """Fire an on/off delay that has run out by ``now`` (the condition held until then)."""
        if self.on is not None:
            due = self.on + self.on_ms
            if due <= now:
                self.on = None
                self._set(True, due, self.pv, out)
        elif self.off is not None:
            due = self.off + self.off_ms
            if due <= now:
                self.off = None
                self._set(False, due, self.pv, out)

    def step(self, raise_: bool, hold: bool, ts: int, value: float | None, out: list[Transition]) -> None:
        """Evaluate the condition established at ``ts`` (clamped so time never runs backwards)."""
        if ts < self.t:
            ts = self.t
        if self.on is not None or self.off is not None:
            self.advance(ts, out)
        self.t = ts
        if self.active:
            if hold:
                if self.off is not None:
                    self.off = None
                    self._timers_changed()
            elif self.off is None:
                if self.off_ms <= 0:
                    self._set(False, ts, value, out)
                else:
                    self.off = ts
                    self._timers_changed()
        elif raise_:
            if self.on is None:
                if self.on_ms <= 0:
                    self._set(True, ts, value, out)
                else:
                    self.on = ts
                    self._timers_changed()
        elif self.on is not None:
            self.on = None
            self._timers_changed()
        self.pv = value

    def _set(self, active: bool, at: int, value: float | None, out: list[Transition]) -> None:
        self.active = active
        if at > self.t:
            self.t = at
        if active:
            self.av = value
        out.append(Transition(self.id, active, at, value))
        self._timers_changed()

    def _timers_changed(self) -> None:
        """Something a restart must not lose changed: mark the rule (hard) dirty."""
        engine = self.engine
        engine._dirty.add(self.id)
        if self.on is not None or self.off is not None:
            engine._timed[self.id] = self
        else:
            engine._timed.pop(self.id, None)

    def _soft_changed(self) -> None:
        self.engine._soft.add(self.id)


class _Limit(_Rule):
    """HH/H: value >= limit; L/LL: value <= limit. Returns beyond the deadband (H: < limit - deadband)."""

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        level = str(spec.params["level"]).lower()
        self.sign = 1.0 if level in ("hh", "h") else -1.0
        self.raise_at = self.sign * float(spec.params["value"])
        self.hold_at = self.raise_at - self.deadband

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        x = value * self.sign
        if self.on is None and self.off is None:  # the fast path: nothing pending, nothing changes
            if self.active:
                if x >= self.hold_at:
                    return
            elif x < self.raise_at:
                return
        self.step(x >= self.raise_at, x >= self.hold_at, ts, value, out)


class _Discrete(_Rule):
    """A state (a switch, a valve position, a trip): active while the value equals ``alarm_value``."""

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        self.alarm_value = float(spec.params["alarm_value"])

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        hit = abs(value - self.alarm_value) <= DISCRETE_TOLERANCE
        if self.on is None and self.off is None and hit == self.active:
            return
        self.step(hit, hit, ts, value, out)


class _Window:
    """The rate of change of one tag per minute over the last ``window`` ms of readings.

    The rate is (newest - oldest) / time between them, with the oldest reading inside the window
    (or the previous reading, when readings are further apart than the window). None until two
    readings are known."""

    __slots__ = ("points", "window")

    def __init__(self, window_ms: int, points: Iterable[Sequence[float]] = ()) -> None:
        self.window = window_ms
        self.points: deque[tuple[int, float]] = deque((int(p[0]), float(p[1])) for p in points)

    def add(self, ts: int, value: float) -> float | None:
        points = self.points
        points.append((ts, value))
        horizon = ts - self.window
        while len(points) > 2 and points[0][0] < horizon:
            points.popleft()
        if len(points) < 2:
            return None
        t0, v0 = points[0]
        if ts <= t0:
            return None
        return (value - v0) * 60000.0 / (ts - t0)

    def dump(self) -> list[list[float]]:
        return [[t, v] for t, v in self.points]


class _Rate(_Rule):
    """Rate of change per minute: rise (rate >= per_minute), fall (rate <= -per_minute) or both
    (|rate| >= per_minute); holds while the rate stays within the deadband (per minute) of it."""

    soft = True

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        self.per_minute = float(spec.params["per_minute"])
        self.direction = str(spec.params.get("direction", "both"))
        self.window = _Window(int(float(spec.params.get("window_s", DEFAULT_RATE_WINDOW_S)) * 1000))

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        rate = self.window.add(ts, value)
        self._soft_changed()
        if rate is None:
            x = -math.inf
        elif self.direction == "rise":
            x = rate
        elif self.direction == "fall":
            x = -rate
        else:
            x = abs(rate)
        self.step(x >= self.per_minute, x >= self.per_minute - self.deadband, ts, value, out)

    def dump_soft(self) -> dict[str, Any]:
        return {"win": self.window.dump()}

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        self.window = _Window(self.window.window, memory.get("win") or ())


class _Deviation(_Rule):
    """|value - reference| > max_difference, the reference being another tag's latest value or a
    fixed setpoint; holds while the difference stays above max_difference - deadband."""

    soft = True

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        self.primary = spec.tags[0]
        ref_tag = spec.params.get("reference_tag")
        self.ref_tag = int(ref_tag) if ref_tag is not None else None
        self.multi = self.ref_tag is not None
        self.setpoint = _float_or_none(spec.params.get("setpoint"))
        self.max_difference = float(spec.params["max_difference"])
        self.value: float | None = None
        self.ref: float | None = self.setpoint

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        if tag == self.primary:
            self.value = value
        if tag == self.ref_tag:
            self.ref = value
        self._soft_changed()
        if self.value is None or self.ref is None:
            self.step(False, False, ts, self.value, out)
            return
        d = abs(self.value - self.ref)
        self.step(d > self.max_difference, d > self.max_difference - self.deadband, ts, self.value, out)

    def dump_soft(self) -> dict[str, Any]:
        memory: dict[str, Any] = {}
        if self.value is not None:
            memory["val"] = self.value
        if self.ref_tag is not None and self.ref is not None:
            memory["ref"] = self.ref
        return memory

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        self.value = _float_or_none(memory.get("val"))
        if self.ref_tag is not None:
            self.ref = _float_or_none(memory.get("ref"))


class _Stale(_Rule):
    """No reading for ``seconds``: becomes true ``seconds`` after the last reading (found by the
    clock, or by the next reading arriving after a gap), false again at the next reading. Before
    any reading, the clock's first tick counts as the last update."""

    soft = True
    clocked = True

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        self.limit_ms = int(float(spec.params["seconds"]) * 1000)
        self.last: int | None = None

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        last, self.last = self.last, ts
        self._soft_changed()
        if last is not None and ts - last >= self.limit_ms:
            self.step(True, True, last + self.limit_ms, None, out)  # the gap was stale data
        self.step(False, False, ts, value, out)

    def clock(self, now: int, out: list[Transition]) -> None:
        if self.last is None:
            self.last = now
            self._soft_changed()
            return
        onset = self.last + self.limit_ms
        if now >= onset:  # stale since ``onset``: delays running before it resolve first
            self.step(True, True, onset, None, out)
        self.advance(now, out)

    def dump_soft(self) -> dict[str, Any]:
        return {} if self.last is None else {"last": self.last}

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        self.last = _int_or_none(memory.get("last"))

    def seen(self, ts: int) -> None:
        """Seed the last update from elsewhere (the tag's live value) if it is newer."""
        if self.last is None or ts > self.last:
            self.last = ts


class _Flatline(_Rule):
    """The value has stayed within ``tolerance`` of where it settled for ``seconds`` (a stuck
    sensor). Evaluated on readings: it becomes true at the first reading ``seconds`` after the value
    settled, false when a reading moves more than the tolerance away."""

    soft = True

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        self.limit_ms = int(float(spec.params["seconds"]) * 1000)
        self.tolerance = float(spec.params.get("tolerance", 0.0))
        self.ref: float | None = None
        self.since: int | None = None

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        if self.ref is None or self.since is None or abs(value - self.ref) > self.tolerance:
            self.ref, self.since = value, ts
            self._soft_changed()
            flat = False
        else:
            flat = ts - self.since >= self.limit_ms
        if self.on is None and self.off is None and flat == self.active:
            return
        self.step(flat, flat, ts, value, out)

    def dump_soft(self) -> dict[str, Any]:
        return {} if self.ref is None else {"ref": self.ref, "since": self.since}

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        self.ref = _float_or_none(memory.get("ref"))
        self.since = _int_or_none(memory.get("since"))


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class _Term:
    """One condition of a compound rule: a comparison with a value, or a trend per minute."""

    __slots__ = ("cmp", "compare", "per_minute", "rate", "relax", "tag", "trend", "value", "window")

    def __init__(self, term: Mapping[str, Any], deadband: float) -> None:
        self.tag = int(term["tag"])
        self.trend = term.get("trend")
        self.value = float(term.get("value", 0.0))
        self.cmp = str(term.get("cmp", ">"))
        self.compare = _COMPARE.get(self.cmp, operator.gt)
        # Holding an active alarm, a comparison gives way by the deadband (H2 > 0.4 holds above 0.4 - db).
        self.relax = -deadband if self.cmp in (">", ">=") else deadband
        self.per_minute = abs(float(term.get("per_minute", 0.0)))
        self.window = _Window(int(float(term.get("window_s", DEFAULT_RATE_WINDOW_S)) * 1000))
        self.rate: float | None = None

    def truth(self, value: float | None, holding: bool) -> bool:
        if self.trend is not None:
            rate = self.rate
            if rate is None:
                return False
            if self.trend == "rising":
                return rate > 0 and rate >= self.per_minute
            return rate < 0 and -rate >= self.per_minute
        if value is None:
            return False
        return self.compare(value, self.value + self.relax if holding else self.value)


class _Compound(_Rule):
    """AND/OR of terms over several tags, each tag at its latest value (sample and hold); a term
    whose tag has no value yet (or no trend yet) is false."""

    soft = True

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        self.all = str(spec.params.get("op", "and")).lower() == "and"
        self.terms = [_Term(term, self.deadband) for term in spec.params.get("terms", ())]
        self.values: dict[int, float] = {}
        self.multi = len({term.tag for term in self.terms}) > 1

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        self.values[tag] = value
        for term in self.terms:
            if term.tag == tag and term.trend is not None:
                term.rate = term.window.add(ts, value)
        self._soft_changed()
        self.step(self._truth(False), self._truth(True), ts, value, out)

    def _truth(self, holding: bool) -> bool:
        values = self.values
        truths = (term.truth(values.get(term.tag), holding) for term in self.terms)
        return all(truths) if self.all else any(truths)

    def dump_soft(self) -> dict[str, Any]:
        return {
            "vals": {str(k): v for k, v in self.values.items()},
            "wins": [term.window.dump() if term.trend is not None else [] for term in self.terms],
        }

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        self.values = {int(k): float(v) for k, v in (memory.get("vals") or {}).items()}
        windows = memory.get("wins") or []
        for term, points in zip(self.terms, windows, strict=False):
            if term.trend is not None and points:
                term.window = _Window(term.window.window, points)
                if len(term.window.points) >= 2:
                    (t0, v0), (t1, v1) = term.window.points[0], term.window.points[-1]
                    term.rate = (v1 - v0) * 60000.0 / (t1 - t0) if t1 > t0 else None


class _Interlock(_Rule):
    """An automated control (联锁) that did not act: the demand — the primary (trigger) tag beyond its
    trip setpoint, ``value cmp setpoint`` — has held for ``response_s`` and the output tag is still
    not within ``tolerance`` of ``output_value`` (a valve still open, a pump still running).

    The failure begins ``response_s`` after the demand's onset (found by the clock, or by the next
    reading after it, and placed at that time) and ends when the output reaches its expected state or
    the demand goes away; the demand gives way by the deadband, as a compound term does. An output
    with no value yet is not known to be wrong: no failure. The demand's onset is remembered at once
    (a restart resumes the response time), the last values at checkpoints."""

    soft = True
    multi = True
    clocked = True

    def __init__(self, spec: RuleSpec, engine: Engine) -> None:
        super().__init__(spec, engine)
        params = spec.params
        self.primary = spec.tags[0]
        self.output_tag = int(params["output_tag"])
        cmp = str(params.get("cmp", ">"))
        self.compare = _COMPARE.get(cmp, operator.gt)
        self.setpoint = float(params["setpoint"])
        self.relax = -self.deadband if cmp in (">", ">=") else self.deadband
        self.expected = float(params["output_value"])
        self.tolerance = float(params.get("tolerance", 0.0)) + DISCRETE_TOLERANCE
        self.response_ms = round(float(params["response_s"]) * 1000)
        self.value: float | None = None  # the trigger tag's latest value
        self.output: float | None = None  # the output tag's latest value
        self.since: int | None = None  # the demand holds since (ms)

    def _failed(self, now: int) -> bool:
        return (
            self.since is not None
            and now - self.since >= self.response_ms
            and self.output is not None
            and abs(self.output - self.expected) > self.tolerance
        )

    def _catch_up(self, now: int, out: list[Transition], *, inclusive: bool) -> None:
        """The response time ran out after the last evaluation and before ``now``, the output still
        wrong (as held): the failure began then."""
        if self.since is None:
            return
        due = self.since + self.response_ms
        if self.t < due and (due <= now if inclusive else due < now) and self._failed(due):
            self.step(True, True, due, self.value, out)

    def feed(self, tag: int, ts: int, value: float, out: list[Transition]) -> None:
        self._catch_up(ts, out, inclusive=False)
        if tag == self.primary:
            self.value = value
            held = self.since is not None
            demand = self.compare(value, self.setpoint + self.relax if held else self.setpoint)
            if demand != held:
                self.since = ts if demand else None
                self._timers_changed()
        if tag == self.output_tag:
            self.output = value
        self._soft_changed()
        failed = self._failed(ts)
        if self.on is None and self.off is None and failed == self.active:
            return
        self.step(failed, failed, ts, self.value, out)

    def clock(self, now: int, out: list[Transition]) -> None:
        self._catch_up(now, out, inclusive=True)
        self.advance(now, out)

    def dump_soft(self) -> dict[str, Any]:
        memory: dict[str, Any] = {}
        if self.value is not None:
            memory["val"] = self.value
        if self.output is not None:
            memory["out"] = self.output
        if self.since is not None:
            memory["since"] = self.since
        return memory

    def restore_soft(self, memory: Mapping[str, Any]) -> None:
        self.value = _float_or_none(memory.get("val"))
        self.output = _float_or_none(memory.get("out"))
        self.since = _int_or_none(memory.get("since"))


KINDS: dict[str, type[_Rule]] = {
    "limit": _Limit,
    "rate": _Rate,
    "deviation": _Deviation,
    "stale": _Stale,
    "flatline": _Flatline,
    "discrete": _Discrete,
    "compound": _Compound,
    "interlock": _Interlock,
}


# --- the engine ---------------------------------------------------------------------------------
class Engine:
    """A set of rules fed by readings and a clock.

    - ``feed(readings)``: readings of any tags, each tag's in time order; a reading not newer than
      the last one seen for its tag is ignored (a duplicate or a late arrival).
    - ``tick(now_ms)``: fires on/off delays that ran out and evaluates time-driven rules (stale
      data, an interlock's response time).
    - ``dirty()``: rules whose memory changed in a way a restart must not lose (a transition, a
      delay starting or cancelled); ``soft()``: rules whose memory changed otherwise (last values,
      trend windows) — worth a periodic checkpoint, not a write per reading.
    """

    def __init__(self) -> None:
        self._rules: dict[int, _Rule] = {}
        self._by_tag: dict[int, list[_Rule]] = {}
        self._seen: dict[int, int] = {}
        self._timed: dict[int, _Rule] = {}
        self._clocked: dict[int, _Rule] = {}
        self._dirty: set[int] = set()
        self._soft: set[int] = set()
        self._sort = False

    # rules ----------------------------------------------------------------------------------
    def load(
        self, spec: RuleSpec, memory: Mapping[str, Any] | None = None, *, active: bool | None = None
    ) -> None:
        """Add (or replace) a rule, restoring its memory; ``active`` overrides the remembered state."""
        if spec.kind not in KINDS:
            raise ValueError(f"unknown rule kind: {spec.kind!r}")
        if not spec.tags:
            raise ValueError(f"rule {spec.id} reads no tag")
        self.unload(spec.id)
        rule = KINDS[spec.kind](spec, self)
        memory = memory or {}
        rule.restore(memory, bool(memory.get("active", False)) if active is None else active)
        self._dirty.discard(spec.id)  # restoring is not a change
        self._rules[spec.id] = rule
        for tag in spec.tags:
            self._by_tag.setdefault(tag, []).append(rule)
            if rule.t > self._seen.get(tag, -(2**62)) and not rule.multi:
                self._seen[tag] = rule.t
        if rule.clocked:
            self._clocked[spec.id] = rule
        self._sort = self._sort or rule.multi

    def unload(self, rule_id: int) -> None:
        rule = self._rules.pop(rule_id, None)
        if rule is None:
            return
        for tag in rule.spec.tags:
            rules = self._by_tag.get(tag, [])
            if rule in rules:
                rules.remove(rule)
            if not rules:
                self._by_tag.pop(tag, None)
                self._seen.pop(tag, None)
        self._timed.pop(rule_id, None)
        self._clocked.pop(rule_id, None)
        self._dirty.discard(rule_id)
        self._soft.discard(rule_id)
        self._sort = any(r.multi for r in self._rules.values())

    def spec(self, rule_id: int) -> RuleSpec | None:
        rule = self._rules.get(rule_id)
        return rule.spec if rule is not None else None

    def rule_ids(self) -> frozenset[int]:
        return frozenset(self._rules)

    def tag_ids(self) -> frozenset[int]:
        return frozenset(self._by_tag)

    def active(self, rule_id: int) -> bool:
        return self._rules[rule_id].active

    def memory(self, rule_id: int) -> dict[str, Any]:
        return self._rules[rule_id].dump()

    def seen(self, tag_id: int, ts: int) -> None:
        """Tell stale-data rules of ``tag_id`` that it was updated at ``ts`` (e.g. its live value)."""
        for rule in self._by_tag.get(tag_id, ()):
            if isinstance(rule, _Stale):
                rule.seen(ts)

    # what changed ---------------------------------------------------------------------------
    def dirty(self) -> frozenset[int]:
        return frozenset(self._dirty)

    def soft(self) -> frozenset[int]:
        return frozenset(self._soft - self._dirty)

    def saved(self, rule_ids: Iterable[int]) -> None:
        """The memory of these rules was stored: no longer dirty."""
        for rule_id in rule_ids:
            self._dirty.discard(rule_id)
            self._soft.discard(rule_id)

    # evaluation -----------------------------------------------------------------------------
    def feed(self, readings: Iterable[Reading]) -> list[Transition]:
        out: list[Transition] = []
        by_tag, seen = self._by_tag, self._seen
        if self._sort:  # rules across tags need the tags interleaved in time (stable: per-tag order kept)
            readings = sorted(readings, key=_reading_ts)
        for tag, ts, value in readings:
            rules = by_tag.get(tag)
            if rules is None:
                continue
            last = seen.get(tag)
            if last is not None and ts <= last:
                continue
            seen[tag] = ts
            for rule in rules:
                rule.feed(tag, ts, value, out)
        return out

    def tick(self, now_ms: int) -> list[Transition]:
        out: list[Transition] = []
        clocked = self._clocked
        for rule in list(self._timed.values()):
            if rule.id not in clocked:
                rule.advance(now_ms, out)
        for rule in clocked.values():
            rule.clock(now_ms, out)
        return out


def _reading_ts(reading: Reading) -> int:
    return reading[1]


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
