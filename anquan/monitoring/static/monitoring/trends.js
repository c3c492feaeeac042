/* Live trends of an equipment's tags (ECharts): HH/H/L/LL as mark lines, live values polled every few
   seconds, and history by zooming (dataZoom) — each zoom loads the visible window again from the
   trend endpoint, which answers raw readings, minute or hourly rollups as the window needs. */
(function () {
  "use strict";
  const cfgEl = document.getElementById("equipment-config");
  if (!cfgEl || typeof echarts === "undefined") return;
  const cfg = JSON.parse(cfgEl.textContent);
  const L = cfg.labels;
  const GROUP = "equipment-trends";
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  let duration = cfg.window_ms; // the window shown: the last `duration` ms
  let range = {start: cfg.now - duration, end: cfg.now};
  const states = new Map(); // tag id -> chart state

  function pad2(n) { return String(n).padStart(2, "0"); }
  function timeText(ms, long) {
    const d = new Date(ms);
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    return long ? `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}:${pad2(d.getSeconds())}` : hm;
  }
  function num(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    return Number(v.toPrecision(6)).toString();
  }

  // --- the chart ---------------------------------------------------------------------------
  function limitLines(tag) {
    return tag.limits.map((l) => ({
      yAxis: l.value,
      name: l.level,
      lineStyle: {color: l.colour, type: l.level.length === 2 ? "solid" : "dashed", width: 1.2},
      label: {formatter: `${l.level} ${num(l.value)}`, position: "insideEndTop", color: l.colour, fontSize: 10},
    }));
  }

  function series(state) {
    const tag = state.tag;
    const markLine = {symbol: "none", silent: true, animation: false, data: limitLines(tag)};
    if (state.resolution === "raw" || !state.resolution) {
      return [{
        name: L.value, type: "line", data: state.points, showSymbol: false, sampling: "lttb",
        lineStyle: {width: 1.5}, markLine: markLine,
      }];
    }
    const lows = state.points.map((p) => [p[0], p[1]]);
    const spans = state.points.map((p) => [p[0], p.length > 3 ? p[3] - p[1] : 0]);
    const avgs = state.points.map((p) => [p[0], p.length > 3 ? p[2] : p[1]]);
    return [
      {name: "min", type: "line", data: lows, stack: "band", showSymbol: false, lineStyle: {opacity: 0}, silent: true, tooltip: {show: false}},
      {name: L.band, type: "line", data: spans, stack: "band", showSymbol: false, lineStyle: {opacity: 0},
        areaStyle: {color: "rgba(84, 112, 198, .18)"}, silent: true, tooltip: {show: false}},
      {name: L.avg, type: "line", data: avgs, showSymbol: false, lineStyle: {width: 1.5}, markLine: markLine},
    ];
  }

  function yExtent(tag) {
    const values = tag.limits.map((l) => l.value);
    return {
      min: (v) => (values.length ? Math.min(v.min, ...values) : v.min),
      max: (v) => (values.length ? Math.max(v.max, ...values) : v.max),
    };
  }

  function option(state) {
    const tag = state.tag;
    const y = yExtent(tag);
    const long = range.end - range.start > 2 * 86400000;
    return {
      animation: false,
      grid: {left: 52, right: 16, top: 18, bottom: 58},
      tooltip: {
        trigger: "axis", confine: true,
        formatter: (items) => {
          if (!items.length) return "";
          const p = items.find((i) => i.seriesName !== "min" && i.seriesName !== L.band) || items[0];
          const raw = state.points[p.dataIndex] || [];
          let text = `${esc(timeText(p.value[0], true))}<br>`;
          if (raw.length > 3) {
            text += `${esc(L.avg)} <b>${num(raw[2])}</b> ${esc(tag.unit)}<br>${esc(L.band)} ${num(raw[1])} ~ ${num(raw[3])}`;
          } else {
            text += `<b>${num(p.value[1])}</b> ${esc(tag.unit)}`;
          }
          return text;
        },
      },
      xAxis: {type: "time", min: range.start, max: range.end, axisLabel: {hideOverlap: true, formatter: (v) => timeText(v, false) + (long ? `\n${new Date(v).getMonth() + 1}/${new Date(v).getDate()}` : "")}},
      yAxis: {type: "value", scale: true, min: y.min, max: y.max, name: tag.unit, nameTextStyle: {align: "right", padding: [0, 6, 0, 0]}, splitLine: {lineStyle: {color: "#eef1f3"}}},
      dataZoom: [
        {type: "inside", filterMode: "none", zoomOnMouseWheel: true, moveOnMouseMove: true},
        {type: "slider", filterMode: "none", height: 18, bottom: 8, showDetail: false, brushSelect: false},
      ],
      graphic: state.points.length ? [] : [{type: "text", left: "center", top: "middle", style: {text: state.loading ? L.loading : L.no_data, fill: "#868e96", fontSize: 13}}],
      series: series(state),
    };
  }

  function draw(state, keepZoom) {
    const opt = option(state);
    if (keepZoom) delete opt.dataZoom;
    state.chart.setOption(opt, {replaceMerge: ["series", "graphic"]});
  }

  // --- loading --------------------------------------------------------------------------------
  async function load(state, start, end) {
    const seq = ++state.seq;
    state.loading = true;
    try {
      const r = await fetch(`${state.tag.trend_url}?start=${Math.floor(start)}&end=${Math.ceil(end)}`, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      if (!r.ok) throw new Error(String(r.status));
      const body = await r.json();
      if (seq !== state.seq) return; // a newer request won
      state.points = body.points;
      state.resolution = body.resolution;
      state.loaded = {start: body.start, end: body.end};
      const last = state.points.length ? state.points[state.points.length - 1][0] : null;
      if (last !== null) state.lastTs = Math.max(state.lastTs || 0, last);
    } catch (e) {
      state.points = state.points || [];
    } finally {
      if (seq === state.seq) {
        state.loading = false;
        draw(state, true);
      }
    }
  }

  function viewOf(state) {
    const dz = (state.chart.getOption().dataZoom || [])[0] || {start: 0, end: 100};
    const span = range.end - range.start;
    return {start: range.start + span * (dz.start || 0) / 100, end: range.start + span * (dz.end ?? 100) / 100};
  }

  function onZoom(state) {
    clearTimeout(state.zoomTimer);
    state.zoomTimer = setTimeout(() => {
      const view = viewOf(state);
      const width = view.end - view.start;
      const loaded = state.loaded || {start: range.start, end: range.end};
      const outside = view.start < loaded.start - 1 || view.end > loaded.end + 1;
      const coarse = state.resolution !== "raw" && (loaded.end - loaded.start) > 3 * width;
      if (outside || coarse) {
        const padding = width * 0.25;
        load(state, Math.max(range.start, view.start - padding), Math.min(range.end, view.end + padding));
      }
    }, 350);
  }

  function setWindow(ms) {
    duration = ms;
    const now = Date.now();
    range = {start: now - duration, end: now};
    states.forEach((state) => {
      state.chart.dispatchAction({type: "dataZoom", start: 0, end: 100});
      state.points = [];
      state.loaded = null;
      draw(state, false);
      load(state, range.start, range.end);
    });
  }

  // --- live ---------------------------------------------------------------------------------
  function renderAlarms(el, alarms) {
    el.innerHTML = alarms.map((a) => {
      const badge = {high: "text-bg-danger", medium: "text-bg-warning", low: "text-bg-info"}[a.priority] || "text-bg-secondary";
      return `<a class="badge text-decoration-none ${badge} me-1" href="${esc(a.url)}">${esc(a.priority_label)} · ${esc(a.state_label)} · ${esc(a.message)}</a>`;
    }).join("");
  }

  function updateCards(tags) {
    tags.forEach((t) => {
      const card = document.querySelector(`[data-tag-card="${t.id}"]`);
      if (!card) return;
      card.querySelector("[data-live-value]").textContent = t.text;
      const status = card.querySelector("[data-live-status]");
      status.className = `badge ${t.status_badge}`;
      status.textContent = t.status_label;
      renderAlarms(card.querySelector("[data-live-alarms]"), t.alarms || []);
    });
  }

  function appendReadings(readings, now) {
    const before = range.end;
    range = {start: now - duration, end: now};
    states.forEach((state, id) => {
      // Only a chart whose data reaches the present follows it; one zoomed into the past stays put.
      const following = !state.loaded || state.loaded.end >= before - 1000;
      const rows = (readings[id] || []).filter((r) => r[0] > (state.lastTs || 0));
      if (rows.length) {
        state.lastTs = rows[rows.length - 1][0];
        if (following) {
          const rollup = state.resolution && state.resolution !== "raw";
          rows.forEach((r) => state.points.push(rollup ? [r[0], r[1], r[1], r[1]] : r));
        }
      }
      while (state.points.length && state.points[0][0] < range.start) state.points.shift();
      if (state.loaded && following) state.loaded.end = range.end;
      draw(state, true);
    });
  }

  const dot = document.getElementById("live-dot");
  const statusText = document.getElementById("live-status");
  async function poll() {
    const lasts = [...states.values()].map((s) => s.lastTs).filter((v) => v);
    const since = Math.max(lasts.length ? Math.min(...lasts) : Date.now() - 60000, Date.now() - 600000);
    try {
      const r = await fetch(`${cfg.data_url}?since=${Math.floor(since)}`, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      if (!r.ok) throw new Error(String(r.status));
      const body = await r.json();
      updateCards(body.tags);
      appendReadings(body.readings || {}, body.now);
      if (dot) dot.className = "mon-live-dot on";
      if (statusText) statusText.textContent = statusText.dataset.on || statusText.textContent;
    } catch (e) {
      if (dot) dot.className = "mon-live-dot off";
      if (statusText) { statusText.dataset.on = statusText.dataset.on || statusText.textContent; statusText.textContent = L.failed; }
    } finally {
      setTimeout(poll, document.hidden ? cfg.refresh_ms * 3 : cfg.refresh_ms);
    }
  }

  // --- start ----------------------------------------------------------------------------------
  cfg.tags.forEach((tag) => {
    const el = document.querySelector(`[data-chart="${tag.id}"]`);
    if (!el) return;
    const chart = echarts.init(el);
    chart.group = GROUP;
    const state = {tag: tag, chart: chart, points: [], resolution: null, loaded: null, lastTs: null, seq: 0, loading: true};
    states.set(String(tag.id), state);
    draw(state, false);
    chart.on("datazoom", () => onZoom(state));
    load(state, range.start, range.end);
  });
  echarts.connect(GROUP);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => states.forEach((s) => s.chart.resize()), 150);
  });
  document.querySelectorAll("#trend-ranges [data-window]").forEach((button) => {
    button.addEventListener("click", () => {
      document.querySelectorAll("#trend-ranges [data-window]").forEach((b) => b.classList.toggle("active", b === button));
      setWindow(Number(button.dataset.window));
    });
  });
  setTimeout(poll, cfg.refresh_ms);
})();
