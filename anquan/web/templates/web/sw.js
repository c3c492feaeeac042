/* Anquan's service worker: the pages a phone uses offline (hazard reports, inspection rounds) open
 * without a network. Pages: network first, the last good copy when offline. Static files: the
 * cached copy at once, refreshed in the background. Nothing else is cached (no API answers, no
 * other pages). Served from /sw.js so that its scope is the whole site. */
"use strict";
const CACHE = "anquan-{{ version }}";
const OFFLINE_PAGES = {{ offline_pages|safe }};
const STATIC = "{{ static_url }}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(OFFLINE_PAGES.map((url) => cache.add(new Request(url, { credentials: "same-origin" })).catch(() => null)))
    ).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("anquan-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function offlinePage(url) {
  return OFFLINE_PAGES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(prefix));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(STATIC)) {
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then((hit) => {
          const fresh = fetch(request).then((response) => {
            if (response.ok) cache.put(request, response.clone());
            return response;
          });
          return hit || fresh;
        })
      )
    );
    return;
  }
  if (request.mode === "navigate" && offlinePage(url)) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || Response.error()))
    );
  }
});
