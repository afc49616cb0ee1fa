// Xuncha's service worker: the field app keeps working where the signal does not.
// Served at /sw.js so its scope is the whole site. The shell (CSS, scripts, icons) is
// precached; HTML is network-first with the last good copy as fallback; the JSON API
// is never touched here, so the page's own queue (queue.js) decides what is sent.

const VERSION = "xuncha-2";
const SHELL = `${VERSION}-shell`;
const PAGES = `${VERSION}-pages`;
const SHELL_FILES = [
  "/static/app.css",
  "/static/field.js",
  "/static/inspect.js",
  "/static/queue.js",
  "/static/sync.js",
  "/static/sha256.js",
  "/static/manifest.webmanifest",
  "/static/icons/icon-192.png",
];

const OFFLINE_PAGE = `<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"><title>无网络 · 巡查</title>
<main><h1>当前无网络</h1><p class="card">这个页面还没有保存到本机，联网后再打开。
已保存的检查记录会在联网后自动发送。</p><p><a href="/inspector">返回今日任务</a></p></main></html>`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => !k.startsWith(VERSION)).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isPage(request) {
  return request.mode === "navigate" || (request.headers.get("accept") ?? "").includes("text/html");
}

// A page is kept only when it is the page asked for: a redirect to the login form
// must never replace the inspector's cached task list.
async function keep(request, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(PAGES);
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(request) {
  try {
    return await keep(request, await fetch(request));
  } catch (error) {
    const cached = await caches.match(request, { ignoreVary: true });
    if (cached) return cached;
    return new Response(OFFLINE_PAGE, {
      status: 503,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
}

// Scripts and styles answer from the cache at once and are refreshed behind it.
async function staleWhileRevalidate(event) {
  const request = event.request;
  const cached = await caches.match(request);
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout") {
    // Another person may log in on this phone next: forget the pages of this one.
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
  } else if (isPage(request)) {
    event.respondWith(networkFirst(request));
  }
});

// The task list asks for its visits' pages to be kept, so they open with no network.
async function warm(urls) {
  const cache = await caches.open(PAGES);
  await Promise.all(
    urls.map(async (path) => {
      const url = new URL(path, self.location.origin);
      if (url.origin !== self.location.origin) return;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
        if (response.ok && !response.redirected) await cache.put(url, response);
      } catch (error) {
        // No network: the copy kept earlier stays in the cache.
      }
    }),
  );
}

self.addEventListener("message", (event) => {
  if (event.data?.type === "warm" && Array.isArray(event.data.urls)) {
    event.waitUntil(
      warm(event.data.urls).then(() => event.source?.postMessage({ type: "warmed", count: event.data.urls.length })),
    );
  }
});
