/* The alarm console (报警台): listens to the live alarm feed (Server-Sent Events) and, on each new
   journal entry, re-fetches the console's table with htmx — keeping the operator's ticked boxes,
   comment and focus. No sound is played. When the feed cannot be held open (a proxy that buffers,
   a server without ASGI), EventSource reconnects on its own; if it gives up, the table is polled. */
(function () {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-events-url]");
  const eventsUrl = script.dataset.eventsUrl;
  const tableUrl = script.dataset.tableUrl;
  const newAlarmText = script.dataset.newAlarm || "";
  const POLL_MS = 10000; // fallback polling when the feed is closed for good
  const DEBOUNCE_MS = 120; // coalesce a burst of journal entries into one refresh

  const statusBox = document.getElementById("feed-status");
  const dot = document.getElementById("feed-dot");
  const text = document.getElementById("feed-text");
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  function status(kind) {
    if (!statusBox) return;
    dot.className = "mon-live-dot" + (kind === "on" ? " on" : kind === "off" ? " off" : "");
    text.textContent = statusBox.dataset[kind] || "";
  }

  // --- refreshing the table --------------------------------------------------------------------
  let pending = null;
  let inflight = false;
  let again = false;

  function snapshot() {
    const table = document.getElementById("console-table");
    const comment = table && table.querySelector("input[name=comment]");
    const active = document.activeElement;
    return {
      checked: new Set([...document.querySelectorAll("#console-table input[name=ids]:checked")].map((i) => i.value)),
      rows: new Set([...document.querySelectorAll("#console-table [data-occurrence]")].map((r) => r.dataset.occurrence)),
      comment: comment ? comment.value : "",
      commentFocused: !!(comment && active === comment),
      caret: comment && active === comment ? comment.selectionStart : null,
    };
  }

  function restore(state) {
    const table = document.getElementById("console-table");
    if (!table) return;
    table.querySelectorAll("input[name=ids]").forEach((box) => { box.checked = state.checked.has(box.value); });
    const comment = table.querySelector("input[name=comment]");
    if (comment) {
      comment.value = state.comment;
      if (state.commentFocused) {
        comment.focus();
        if (state.caret !== null) comment.setSelectionRange(state.caret, state.caret);
      }
    }
    if (state.rows.size || table.querySelector("[data-occurrence]")) {
      table.querySelectorAll("[data-occurrence]").forEach((row) => {
        if (!state.rows.has(row.dataset.occurrence)) row.classList.add("mon-flash");
      });
    }
    syncSelectAll();
  }

  function refresh() {
    pending = null;
    if (inflight) { again = true; return; }
    const table = document.getElementById("console-table");
    if (!table || typeof htmx === "undefined") return;
    inflight = true;
    const state = snapshot();
    const query = table.dataset.query || "";
    htmx.ajax("GET", tableUrl + (query ? "?" + query : ""), {target: "#console-table", swap: "outerHTML"})
      .then(() => restore(state))
      .catch(() => {})
      .finally(() => {
        inflight = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (pending === null) pending = setTimeout(refresh, DEBOUNCE_MS);
  }

  // --- the live feed ------------------------------------------------------------------------------
  let source = null;
  let pollTimer = null;

  function toast(message) {
    const box = document.getElementById("console-toasts");
    if (!box || !message || typeof bootstrap === "undefined") return;
    const el = document.createElement("div");
    el.className = "toast align-items-center text-bg-danger border-0";
    el.setAttribute("role", "status");
    el.innerHTML = `<div class="d-flex"><div class="toast-body"><i class="bi bi-bell-fill me-1"></i>${esc(newAlarmText)}：${esc(message)}</div>` +
      `<button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast"></button></div>`;
    box.appendChild(el);
    el.addEventListener("hidden.bs.toast", () => el.remove());
    new bootstrap.Toast(el, {delay: 6000}).show();
  }

  // A reconnect is routine (the server ends each stream after a while; without ASGI it answers and
  // closes at once): only one that takes a while is shown.
  let reconnecting = null;
  function connected() {
    clearTimeout(reconnecting);
    reconnecting = null;
    status("on");
  }

  function connect() {
    if (!eventsUrl || typeof EventSource === "undefined") { startPolling(); return; }
    source = new EventSource(eventsUrl);
    source.addEventListener("open", connected);
    source.addEventListener("ready", connected);
    source.addEventListener("journal", (e) => {
      connected();
      schedule();
      try {
        const entry = JSON.parse(e.data);
        if (entry.kind === "activated") toast(entry.message);
      } catch (err) { /* a malformed entry still refreshed the table */ }
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        clearTimeout(reconnecting);
        reconnecting = null;
        status("off");
        source = null;
        startPolling();
        setTimeout(() => { stopPolling(); connect(); }, 3 * POLL_MS);
      } else if (reconnecting === null) {
        reconnecting = setTimeout(() => status("connecting"), 5000);
      }
    });
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = setInterval(schedule, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
  }

  // --- selection, shelving, filters ----------------------------------------------------------
  function syncSelectAll() {
    const all = document.getElementById("select-all");
    if (!all) return;
    const boxes = [...document.querySelectorAll("#console-table input[name=ids]")];
    all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    all.indeterminate = !all.checked && boxes.some((b) => b.checked);
  }

  document.addEventListener("change", (e) => {
    const target = e.target;
    if (target.id === "select-all") {
      document.querySelectorAll("#console-table input[name=ids]").forEach((b) => { b.checked = target.checked; });
    } else if (target.name === "ids") {
      syncSelectAll();
    } else if (target.matches("[data-autosubmit]")) {
      if (target.name === "site") {
        const area = target.form.querySelector("select[name=area]");
        if (area) area.value = "";
      }
      target.form.requestSubmit();
    }
  });

  document.addEventListener("click", (e) => {
    const link = e.target.closest("[data-shelve-rule]");
    const modalEl = document.getElementById("shelve-modal");
    if (!link || !modalEl || typeof bootstrap === "undefined") return;
    e.preventDefault();
    const form = document.getElementById("shelve-form");
    form.action = form.dataset.actionTemplate.replace("999999999", link.dataset.shelveRule);
    document.getElementById("shelve-rule").textContent = link.dataset.shelveName || "";
    bootstrap.Modal.getOrCreateInstance(modalEl).show();
  });

  // An action answered with 204 (unshelve, return to service) asks for a refresh.
  document.body.addEventListener("monitoring-changed", schedule);

  status("connecting");
  connect();
  window.addEventListener("pagehide", () => { if (source) source.close(); });
})();
