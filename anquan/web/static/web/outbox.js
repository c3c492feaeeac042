/* The outbox: forms a phone sends while it may be offline (hazard reports, inspection rounds).
 *
 * A form with `data-outbox` is not posted by the browser. On submit its fields and files are
 * stored in IndexedDB with a client id (the `client_uid` field, a UUID made on the phone), then
 * sent with fetch as multipart/form-data. Sent (2xx): removed, and the form's
 * `data-outbox-done` page (if any) is opened. No network: kept, and sent again when the browser
 * comes back online, when a page using the outbox opens, and every 30 s. Refused (4xx): kept with
 * the server's message, shown to the person, never retried by itself (it can be discarded). The
 * server stores a client id once, so a request sent twice (the answer lost on the way back)
 * creates one record.
 *
 * Status goes to elements with `data-outbox-status` (a count and the refused ones). The service
 * worker (/sw.js) keeps the pages that use the outbox openable without a network; it needs a
 * secure context (HTTPS or localhost), the outbox itself does not.
 */
(function () {
  "use strict";
  var DB_NAME = "anquan-outbox";
  var STORE = "requests";
  var RETRY_MS = 30000;
  var flushing = null;
  var sentHere = {}; // uid -> the server's answer, for the requests sent from this page

  function text(key) {
    var el = document.getElementById("aq-outbox-text");
    var all = el ? JSON.parse(el.textContent) : {};
    return all[key] || key;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)); // also outside secure contexts
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "uid" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return db().then(function (conn) {
      return new Promise(function (resolve, reject) {
        var t = conn.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { conn.close(); resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { conn.close(); reject(t.error); };
      });
    });
  }

  function put(entry) { return tx("readwrite", function (s) { return s.put(entry); }); }
  function remove(uid) { return tx("readwrite", function (s) { return s.delete(uid); }); }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    return headers ? JSON.parse(headers)["X-CSRFToken"] : "";
  }

  function collect(form, uid) {
    var fields = [];
    var files = [];
    new FormData(form).forEach(function (value, key) {
      if (value instanceof File) {
        if (value.size > 0) files.push({ field: key, name: value.name, type: value.type, blob: value });
      } else if (value !== "") {
        fields.push([key, value]); // an empty optional field is left out, as if absent
      }
    });
    fields.push(["client_uid", uid]);
    return { fields: fields, files: files };
  }

  function send(entry) {
    if (entry.json !== undefined) return sendJson(entry);
    var body = new FormData();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    entry.files.forEach(function (f) { body.append(f.field, new File([f.blob], f.name, { type: f.type })); });
    return fetch(entry.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": csrfToken(),
        Accept: "application/json",
        "Accept-Language": document.documentElement.lang || "zh-hans", // messages in the page's language
      },
    });
  }

  // A JSON entry (queueJson): the body as stored, sent as application/json, asking for answers
  // (a refusal's message) in the page's language (the API follows Accept-Language).
  function sendJson(entry) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json", "Content-Type": "application/json" };
    if (document.documentElement.lang) headers["Accept-Language"] = document.documentElement.lang;
    return fetch(entry.url, { method: "POST", body: JSON.stringify(entry.json), credentials: "same-origin", headers: headers });
  }

  function messageOf(response) {
    return response.json().then(
      function (data) {
        var parts = [data.detail || ""];
        Object.keys(data.errors || {}).forEach(function (k) { parts.push(k + ": " + data.errors[k].join(" ")); });
        return parts.filter(Boolean).join("；") || "HTTP " + response.status;
      },
      function () { return "HTTP " + response.status; }
    );
  }

  function flush() {
    if (flushing) return flushing;
    flushing = all()
      .then(function (entries) {
        entries.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
        var chain = Promise.resolve(true);
        entries.forEach(function (entry) {
          chain = chain.then(function (online) {
            if (!online || entry.refused) return online;
            return send(entry).then(
              function (response) {
                if (response.ok) {
                  return response.json().catch(function () { return {}; }).then(function (data) {
                    return remove(entry.uid).then(function () {
                      sentHere[entry.uid] = data;
                      emit("anquan:outbox-sent", { uid: entry.uid, url: entry.url, result: data, done: entry.done });
                      return true;
                    });
                  });
                }
                if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
                  return messageOf(response).then(function (message) {
                    entry.refused = message;
                    return put(entry).then(function () {
                      emit("anquan:outbox-refused", { uid: entry.uid, message: message });
                      return true;
                    });
                  });
                }
                return false; // the server is in trouble: try again later
              },
              function () { return false; } // no network
            );
          });
        });
        return chain;
      })
      .catch(function () { return false; })
      .then(function (result) {
        flushing = null;
        return render().then(function () { return result; });
      });
    return flushing;
  }

  function emit(name, detail) { document.dispatchEvent(new CustomEvent(name, { detail: detail })); }

  function render() {
    var targets = document.querySelectorAll("[data-outbox-status]");
    if (!targets.length) return Promise.resolve();
    return all().then(function (entries) {
      var waiting = entries.filter(function (e) { return !e.refused; });
      var refused = entries.filter(function (e) { return e.refused; });
      targets.forEach(function (el) {
        el.replaceChildren();
        if (waiting.length) {
          var w = document.createElement("div");
          w.className = "alert alert-warning py-2 mb-2";
          w.setAttribute("data-outbox-waiting", String(waiting.length));
          w.textContent = text("waiting").replace("%(count)s", waiting.length);
          el.appendChild(w);
        }
        refused.forEach(function (e) {
          var r = document.createElement("div");
          r.className = "alert alert-danger py-2 mb-2 d-flex justify-content-between align-items-start gap-2";
          r.setAttribute("data-outbox-refused", e.uid);
          var msg = document.createElement("div");
          msg.textContent = text("refused").replace("%(label)s", e.label || "").replace("%(message)s", e.refused);
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "btn btn-sm btn-outline-danger";
          drop.textContent = text("discard");
          drop.addEventListener("click", function () { remove(e.uid).then(render); });
          r.appendChild(msg);
          r.appendChild(drop);
          el.appendChild(r);
        });
      });
    });
  }

  function queue(form) {
    var uid = uuid();
    var data = collect(form, uid);
    var entry = {
      uid: uid,
      url: form.getAttribute("action") || window.location.pathname,
      fields: data.fields,
      files: data.files,
      label: form.getAttribute("data-outbox-label") || "",
      done: form.getAttribute("data-outbox-done") || "",
      queuedAt: Date.now(),
      refused: "",
    };
    return put(entry).then(function () {
      emit("anquan:outbox-queued", { uid: uid });
      return flush().then(function () { return { uid: uid, done: entry.done, result: sentHere[uid] }; });
    });
  }

  /* Queue one JSON request (e.g. a whole inspection round walked offline): stored like a form,
   * sent with Content-Type: application/json under the same rules (kept while offline, refusals
   * kept with the server's message). options: label, done, uid (the entry's id; a new UUID unless
   * given, so a caller may find its entry again in pending()). Resolves to {uid, done, result}
   * (result: the server's answer when it was sent at once). */
  function queueJson(url, body, options) {
    var opts = options || {};
    var uid = opts.uid || uuid();
    var entry = {
      uid: uid,
      url: url,
      json: body,
      fields: [],
      files: [],
      label: opts.label || "",
      done: opts.done || "",
      queuedAt: Date.now(),
      refused: "",
    };
    return put(entry).then(function () {
      emit("anquan:outbox-queued", { uid: uid });
      return flush().then(function () { return { uid: uid, done: entry.done, result: sentHere[uid] }; });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-outbox")) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    queue(form).then(function (queued) {
      if (queued.result && queued.done) {
        // sent at once: show what was created
        window.location.assign(queued.done.replace("{id}", queued.result.id || ""));
        return;
      }
      form.reset();
      if (button) button.disabled = false;
      form.dispatchEvent(new CustomEvent("anquan:outbox-stored", { bubbles: true, detail: queued }));
    });
  });

  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  document.addEventListener("DOMContentLoaded", function () {
    flush();
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* pages still work online */ });
    }
  });

  window.AnquanOutbox = { flush: flush, pending: all, queueJson: queueJson };
})();
