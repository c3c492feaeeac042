/* The early-warning charts (ECharts, vendored): on the alert page the contributions (bar) and the
   tags × time heatmap, from the "ew-alert-data" JSON; on the model page the reviews per week and
   the precision line, from "ew-precision-data". */
(function () {
  "use strict";
  const charts = [];
  const phone = () => window.matchMedia("(max-width: 575.98px)").matches;
  const pct = (v) => (v * 100).toFixed(0) + "%";
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(id, option) {
    const el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return;
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }

  function empty(text) {
    return {title: {text: text, left: "center", top: "middle", textStyle: {fontSize: 13, color: "#868e96", fontWeight: "normal"}}};
  }

  const alert = data("ew-alert-data");
  if (alert) {
    const L = alert.labels;
    const top = alert.contributors.slice().reverse();
    draw("ew-contributors", top.length ? {
      animation: false,
      tooltip: {trigger: "item", confine: true, formatter: (p) => `${esc(p.name)}<br>${esc(L.share)} ${pct(p.value)}`},
      grid: {left: 8, right: 48, top: 8, bottom: 8, containLabel: true},
      xAxis: {type: "value", max: 1, axisLabel: {formatter: (v) => pct(v)}},
      yAxis: {type: "category", data: top.map((c) => c.tag)},
      series: [{type: "bar", itemStyle: {color: "#c92a2a"}, label: {show: true, position: "right", formatter: (p) => pct(p.value)},
                data: top.map((c) => c.share)}],
    } : empty(L.noData));

    const h = alert.heatmap;
    draw("ew-heatmap", h.cells.length ? {
      animation: false,
      tooltip: {position: "top", confine: true,
        formatter: (p) => `${esc(h.tags[p.value[1]])} · ${esc(h.times[p.value[0]])}<br>${esc(L.share)} ${pct(p.value[2])}`},
      grid: {left: 8, right: 16, top: 8, bottom: phone() ? 72 : 64, containLabel: true},
      xAxis: {type: "category", data: h.times, splitArea: {show: true}, axisLabel: {hideOverlap: true}},
      yAxis: {type: "category", data: h.tags, splitArea: {show: true}},
      visualMap: {min: 0, max: 1, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                  itemHeight: phone() ? 120 : 200, formatter: (v) => pct(v),
                  inRange: {color: ["#f8f9fa", "#ffd8a8", "#f76707", "#c92a2a"]}},
      series: [{type: "heatmap", data: h.cells, progressive: 2000, emphasis: {itemStyle: {borderColor: "#212529", borderWidth: 1}}}],
    } : empty(L.noData));
  }

  const prec = data("ew-precision-data");
  if (prec) {
    const L = prec.labels;
    draw("ew-precision-chart", {
      animation: false,
      tooltip: {trigger: "axis", confine: true},
      legend: {top: 0},
      grid: {left: 8, right: 8, top: 32, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: prec.weeks, name: phone() ? "" : L.week, nameLocation: "middle", nameGap: 28},
      yAxis: [{type: "value", minInterval: 1}, {type: "value", min: 0, max: 1, axisLabel: {formatter: (v) => pct(v)}, splitLine: {show: false}}],
      series: [
        {name: L.confirmed, type: "bar", stack: "reviews", itemStyle: {color: "#c92a2a"}, data: prec.confirmed},
        {name: L.rejected, type: "bar", stack: "reviews", itemStyle: {color: "#adb5bd"}, data: prec.rejected},
        {name: L.precision, type: "line", yAxisIndex: 1, connectNulls: true, itemStyle: {color: "#15803d"},
         tooltip: {valueFormatter: (v) => (v == null ? "—" : pct(v))}, data: prec.precision},
      ],
    });
  }

  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => charts.forEach((c) => c.resize()), 150);
  });
})();
