// The checklist form: collect answers, hash photos, send the inspection, then each photo.
// The inspection's UUID is made here, so sending twice never makes two records.

import { sha256Hex } from "./sha256.js";

const form = document.getElementById("checklist");
const message = document.getElementById("form-message");

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Phones on plain http are not a secure context and lack randomUUID.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function say(text, kind) {
  message.textContent = text;
  message.className = `msg ${kind}`;
}

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(p.coords),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 },
    );
  });
}

function readValue(fieldset) {
  const type = fieldset.dataset.type;
  if (type === "yes_no") {
    const checked = fieldset.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }
  const input = fieldset.querySelector(".value");
  if (!input || input.value.trim() === "") return null;
  if (type === "number") return Number(input.value);
  if (type === "numbers") {
    return input.value.split(/[,，\s]+/).filter(Boolean).map(Number);
  }
  return input.value.trim();
}

async function collect() {
  const answers = {};
  const photos = [];
  for (const fieldset of form.querySelectorAll("fieldset[data-key]")) {
    const key = fieldset.dataset.key;
    const files = [...(fieldset.querySelector(".photo")?.files ?? [])];
    const hashes = [];
    for (const file of files) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const sha256 = await sha256Hex(bytes);
      hashes.push(sha256);
      photos.push({ sha256, item_key: key, file });
    }
    const value = readValue(fieldset);
    if (fieldset.dataset.type === "yes_no") {
      if (value === null) continue;
      const remark = fieldset.querySelector(".remark")?.value.trim() ?? "";
      answers[key] = { result: value, remark, photos: hashes };
    } else if (value !== null) {
      answers[key] = value;
    }
  }
  return { answers, photos };
}

async function send(url, options) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "x-csrftoken": csrfToken(), ...(options.headers ?? {}) },
  });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : {};
  if (!response.ok) throw new Error(body.detail ?? `服务器返回 ${response.status}`);
  return body;
}

async function submit(event) {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    say("正在整理检查记录…", "warn");
    const { answers, photos } = await collect();
    const id = form.dataset.uuid ?? (form.dataset.uuid = newUuid());
    const body = {
      id,
      assignment_id: Number(form.dataset.assignment),
      target_id: form.dataset.target,
      checklist_version: form.dataset.version,
      inspected_at: new Date().toISOString(),
      answers,
      remark: document.getElementById("remark").value.trim(),
      photos: photos.map(({ sha256, item_key }) => ({ sha256, item_key })),
    };
    form.dataset.body = form.dataset.body ?? JSON.stringify(body);
    await send("/api/v1/inspections", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: form.dataset.body,
    });
    const where = await position();
    for (const [n, photo] of photos.entries()) {
      say(`正在上传照片 ${n + 1}/${photos.length}…`, "warn");
      const query = new URLSearchParams({ item_key: photo.item_key });
      if (where) {
        query.set("latitude", where.latitude);
        query.set("longitude", where.longitude);
        query.set("accuracy", where.accuracy);
      }
      await send(`/api/v1/inspections/${id}/photos/${photo.sha256}?${query}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: photo.file,
      });
    }
    say("已提交。", "good");
    window.location.assign(`/inspections/${id}`);
  } catch (error) {
    say(`提交失败：${error.message}`, "bad");
    button.disabled = false;
  }
}

form?.addEventListener("submit", submit);
// A changed answer is a new inspection body; a retry of the same body keeps its UUID.
form?.addEventListener("change", () => {
  delete form.dataset.uuid;
  delete form.dataset.body;
});
