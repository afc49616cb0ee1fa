// The enterprise's rectification evidence: the text and the photos' hashes first, then
// each photo as taken, addressed by its SHA-256 (sending one twice is harmless).

import { sha256Hex } from "./sha256.js";

const form = document.getElementById("evidence-form");
const message = document.getElementById("evidence-message");

function say(text, kind) {
  message.textContent = text;
  message.className = `msg ${kind}`;
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

async function send(url, options) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "x-csrftoken": csrfToken(), accept: "application/json", ...options.headers },
  });
  const body = (response.headers.get("content-type") ?? "").includes("json") ? await response.json() : {};
  if (!response.ok) throw new Error(body.detail ?? `服务器返回 ${response.status}`);
  return body;
}

async function submit(event) {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const text = document.getElementById("evidence-text").value.trim();
  if (!text) return say("请填写整改说明。", "bad");
  button.disabled = true;
  try {
    const files = [...document.getElementById("evidence-photos").files];
    const photos = [];
    for (const file of files) photos.push({ file, sha256: await sha256Hex(new Uint8Array(await file.arrayBuffer())) });
    const action = form.dataset.action;
    await send(`/api/v1/corrective-actions/${action}/evidence`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text, photos: [...new Set(photos.map((p) => p.sha256))] }),
    });
    for (const [n, photo] of photos.entries()) {
      say(`正在上传照片 ${n + 1}/${photos.length}…`, "warn");
      await send(`/api/v1/corrective-actions/${action}/evidence/photos/${photo.sha256}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: photo.file,
      });
    }
    say("已提交，等待执法人员复查。", "good");
    window.location.reload();
  } catch (error) {
    say(`提交失败：${error.message}`, "bad");
    button.disabled = false;
  }
}

form?.addEventListener("submit", submit);
