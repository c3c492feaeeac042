/* The live site map: a tooltip with the live values of an equipment on hover (mouse) or tap
   (touch; a second tap opens its trend page). The data comes with each refresh of the panel
   (#site-live-data), so an open tooltip follows the live values. */
(function () {
  "use strict";
  const tip = document.getElementById("mon-tooltip");
  if (!tip) return;
  let current = null; // the equipment id shown
  let anchor = null; // the element it is attached to
  let pinned = false; // opened by a tap: stays until a tap elsewhere

  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  function data() {
    const el = document.getElementById("site-live-data");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function render(id) {
    const eq = data()[id];
    if (!eq) { hide(); return; }
    const rows = eq.tags.map((t) =>
      `<tr><td>${esc(t.tag)}<div class="small text-body-secondary">${esc(t.name)}</div></td>` +
      `<td class="val">${esc(t.text)} <span class="small fw-normal text-body-secondary">${esc(t.unit)}</span></td>` +
      `<td>${t.status === "ok" ? "" : `<span class="badge ${esc(t.status_badge)}">${esc(t.status_label)}</span>`}</td></tr>`
    ).join("");
    const alarms = eq.active || eq.unack
      ? `<div class="mt-1"><span class="mon-swatch" style="background:${esc(eq.colour)}"></span>${esc(eq.worst_label)} · ${eq.active} / ${eq.unack}</div>`
      : "";
    tip.innerHTML = `<div class="fw-semibold">${esc(eq.code)} ${esc(eq.name)}</div>` +
      (rows ? `<table class="mt-1">${rows}</table>` : `<div class="text-body-secondary small">${esc(tip.dataset.empty || "—")}</div>`) +
      alarms + `<div class="mt-1 small"><a href="${esc(eq.url)}">${esc(tip.dataset.open || "→")}</a></div>`;
  }

  function place() {
    if (!anchor || !anchor.isConnected) return;
    const r = anchor.getBoundingClientRect();
    const w = tip.offsetWidth, h = tip.offsetHeight;
    let left = r.left + r.width / 2 - w / 2;
    let top = r.top - h - 8;
    if (top < 8) top = r.bottom + 8;
    left = Math.max(8, Math.min(left, window.innerWidth - w - 8));
    tip.style.left = `${left}px`;
    tip.style.top = `${Math.max(8, Math.min(top, window.innerHeight - h - 8))}px`;
  }

  function show(el, pin) {
    current = el.dataset.eq;
    anchor = el;
    pinned = !!pin;
    render(current);
    tip.hidden = false;
    place();
  }

  function hide() {
    tip.hidden = true;
    current = null;
    anchor = null;
    pinned = false;
  }

  function point(target) {
    return target && target.closest ? target.closest("#site-live a.point[data-eq]") : null;
  }

  document.addEventListener("mouseover", (e) => {
    const el = point(e.target);
    if (el && !pinned) show(el, false);
  });
  document.addEventListener("mouseout", (e) => {
    const el = point(e.target);
    if (el && !pinned && !(e.relatedTarget && el.contains(e.relatedTarget)) && e.relatedTarget !== tip) hide();
  });
  document.addEventListener("focusin", (e) => { const el = point(e.target); if (el) show(el, false); });
  // Touch: the first tap shows the values, a second tap on the same equipment follows its link.
  document.addEventListener("click", (e) => {
    const el = point(e.target);
    if (el) {
      const touch = e.pointerType === "touch" || (window.matchMedia && window.matchMedia("(hover: none)").matches);
      if (touch && !(pinned && current === el.dataset.eq)) {
        e.preventDefault();
        show(el, true);
      }
      return;
    }
    if (!tip.contains(e.target)) hide();
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") hide(); });
  window.addEventListener("scroll", place, {passive: true});
  window.addEventListener("resize", place);
  // After each refresh: re-attach to the new drawing of the same equipment and show its new values.
  document.body.addEventListener("htmx:afterSwap", () => {
    if (current === null) return;
    const el = document.querySelector(`#site-live a.point[data-eq="${CSS.escape(current)}"]`);
    if (!el) { hide(); return; }
    anchor = el;
    render(current);
    place();
  });
})();
