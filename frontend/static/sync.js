// Sends the outbox (queue.js) to the server: the inspection first, then each photo as
// taken. Retries after a failure with growing pauses and at once when the phone is back
// online, without a reload. Safe to repeat: the server keys visits by UUID and photos by
// SHA-256, so a second send of the same thing is answered without a second row.

import * as queue from "./queue.js";

const FIRST_PAUSE_S = 5;
const LONGEST_PAUSE_S = 300;
const KEEP_CONFIRMED_DAYS = 2;

let timer = null;
let running = null;
const listeners = new Set();

/** Called with nothing after every change of the queue, so pages can redraw. */
export function onChange(listener) {
  listeners.add(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

class SendError extends Error {
  constructor(message, retry) {
    super(message);
    this.retry = retry;
  }
}

async function request(url, options) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      ...options,
      headers: { "x-csrftoken": csrfToken(), accept: "application/json", ...(options.headers ?? {}) },
    });
  } catch (error) {
    throw new SendError("网络不通，联网后自动重试", true);
  }
  const json = (response.headers.get("content-type") ?? "").includes("json");
  const body = json ? await response.json() : {};
  if (response.ok) return body;
  const detail = body.detail ?? `服务器返回 ${response.status}`;
  if (response.status === 401) throw new SendError("登录已过期，请重新登录，登录后自动发送", true);
  if (response.status === 403 && /CSRF|表单已过期/.test(detail)) {
    throw new SendError("页面已过期，请刷新页面，刷新后自动发送", true);
  }
  if (response.status >= 500 || response.status === 429) {
    throw new SendError(`服务器暂时无法处理（${response.status}），稍后自动重试`, true);
  }
  throw new SendError(`服务器拒收（${response.status}）：${detail}`, false);
}

function pauseSeconds(attempts) {
  const pause = Math.min(LONGEST_PAUSE_S, FIRST_PAUSE_S * 2 ** Math.max(0, attempts - 1));
  return pause * (0.8 + Math.random() * 0.4);
}

async function sendPhotos(record) {
  for (const photo of record.photos) {
    if (photo.state === "sent") continue;
    const blob = await queue.photoBlob(record.id, photo.sha256);
    if (!blob) throw new SendError(`照片 ${photo.sha256.slice(0, 8)} 不在本机，无法补发`, false);
    const query = new URLSearchParams({ item_key: photo.item_key });
    for (const key of ["latitude", "longitude", "accuracy"]) {
      if (record.position?.[key] != null) query.set(key, record.position[key]);
    }
    await request(`/api/v1/inspections/${record.id}/photos/${photo.sha256}?${query}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: blob,
    });
    await queue.update(record.id, (r) => {
      r.photos.find((p) => p.sha256 === photo.sha256).state = "sent";
    });
    changed();
  }
}

async function sendOne(record) {
  if (!record.posted) {
    const answer = await request("/api/v1/inspections", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: record.body,
    });
    await queue.update(record.id, (r) => {
      r.posted = true;
      r.verdict = answer.verdict ?? "";
    });
    record = await queue.get(record.id);
    changed();
  }
  await sendPhotos(record);
  await queue.update(record.id, (r) => {
    r.state = "sent";
    r.error = "";
    r.sent_at = new Date().toISOString();
  });
}

async function fail(record, error) {
  await queue.update(record.id, (r) => {
    r.attempts += 1;
    r.error = error.message;
    r.state = error.retry === false ? "failed" : "waiting";
    r.next_try = Date.now() + pauseSeconds(r.attempts) * 1000;
  });
}

async function drainOnce({ force }) {
  for (const record of await queue.all()) {
    if (record.state !== "waiting") continue;
    if (!force && record.next_try > Date.now()) continue;
    try {
      await sendOne(record);
    } catch (error) {
      await fail(record, error instanceof SendError ? error : new SendError(String(error), true));
    }
    changed();
  }
  schedule();
}

/** Send what waits. With force, pauses are skipped (the phone just came back online). */
export function drain({ force = false } = {}) {
  if (running) return running;
  const work = () => drainOnce({ force });
  // One tab sends at a time; a second tab's drain waits and then finds nothing left.
  const locked = navigator.locks ? navigator.locks.request("xuncha-outbox", work) : work();
  running = locked.finally(() => {
    running = null;
  });
  return running;
}

async function schedule() {
  clearTimeout(timer);
  const waiting = (await queue.all()).filter((r) => r.state === "waiting");
  if (!waiting.length) return;
  const next = Math.min(...waiting.map((r) => r.next_try));
  timer = setTimeout(() => drain(), Math.max(1000, next - Date.now()));
}

/** Put a refused visit back in line, e.g. after the inspector fixed the cause. */
export async function retry(id) {
  await queue.update(id, (r) => {
    r.state = "waiting";
    r.next_try = 0;
  });
  changed();
  return drain({ force: true });
}

/** Compare the queue with what the server says it received today from this inspector. */
export async function receiptCheck() {
  const server = await request("/api/v1/field/received", { method: "GET" });
  const byId = new Map(server.inspections.map((i) => [i.id, i]));
  const records = await queue.all();
  const problems = [];
  for (const record of records.filter((r) => r.state === "sent")) {
    const held = byId.get(record.id);
    const missing = held
      ? record.photos.filter((p) => !held.photos.includes(p.sha256)).map((p) => p.sha256)
      : record.photos.map((p) => p.sha256);
    if (!held) problems.push({ id: record.id, label: record.label, what: "服务器没有这条记录" });
    else if (missing.length) {
      problems.push({ id: record.id, label: record.label, what: `服务器缺少 ${missing.length} 张照片` });
    }
    if (!held || missing.length) {
      await queue.update(record.id, (r) => {
        r.state = "waiting";
        r.posted = Boolean(held);
        for (const p of r.photos) if (missing.includes(p.sha256)) p.state = "waiting";
      });
    } else if (!record.confirmed) {
      await queue.update(record.id, (r) => {
        r.confirmed = true;
      });
      await queue.dropPhotos(record.id, held.photos);
    }
  }
  const mine = new Set(records.map((r) => r.id));
  const elsewhere = server.inspections.filter((i) => !mine.has(i.id));
  const cutoff = new Date(Date.now() - KEEP_CONFIRMED_DAYS * 86400_000).toISOString();
  await queue.forgetConfirmedBefore(cutoff);
  changed();
  if (problems.length) drain({ force: true });
  return { day: server.day, received: server.inspections.length, problems, elsewhere };
}

function startListening() {
  window.addEventListener("online", () => {
    drain({ force: true }).then(() => receiptCheck().catch(() => undefined));
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") drain();
  });
}

startListening();
