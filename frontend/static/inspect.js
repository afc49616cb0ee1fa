// The checklist form: range hints while typing, a preview of the verdict, and on submit
// the visit goes into the outbox (queue.js) with its photos as taken, then is sent.
// The inspection's UUID is made here, so sending twice never makes two records.

import { sha256Hex } from "./sha256.js";
import * as queue from "./queue.js";
import * as sync from "./sync.js";

const form = document.getElementById("checklist");
const message = document.getElementById("form-message");
const preview = document.getElementById("preview");
const definition = JSON.parse(document.getElementById("checklist-def")?.textContent ?? "{}");
const items = new Map((definition.items ?? []).map((item) => [item.key, item]));

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
      ({ coords }) => resolve({ latitude: coords.latitude, longitude: coords.longitude, accuracy: coords.accuracy }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 },
    );
  });
}

function numbersOf(text) {
  return text.split(/[,，\s]+/).filter(Boolean).map(Number);
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
  if (type === "numbers") return numbersOf(input.value);
  return input.value.trim();
}

// The hint under a reading: the plausible range, and a warning the moment a value leaves it.
function rangeHint(input) {
  const item = items.get(input.closest("fieldset").dataset.key);
  const hint = document.getElementById(`hint-${item?.key}`);
  if (!item || !hint || !["number", "numbers"].includes(item.type)) return;
  const unit = item.unit ? ` ${item.unit}` : "";
  const values = input.value.trim() === "" ? [] : numbersOf(input.value);
  const bad = values.find((v) => Number.isNaN(v) || (item.min != null && v < item.min) || (item.max != null && v > item.max));
  if (bad !== undefined) {
    const why = Number.isNaN(bad) ? "不是数字" : item.min != null && bad < item.min ? `低于 ${item.min}${unit}` : `高于 ${item.max}${unit}`;
    hint.textContent = `请核对：${why}`;
    hint.className = "hint bad";
    input.setAttribute("aria-invalid", "true");
  } else {
    hint.textContent = hint.dataset.range ?? "";
    hint.className = "hint";
    input.removeAttribute("aria-invalid");
  }
}

// Only yes/no items and failing choices are judged here; readings are judged by the server
// against the standard, whose verdict is the one that counts.
function previewVerdict() {
  if (!preview) return;
  const fails = [];
  let open = 0;
  for (const fieldset of form.querySelectorAll("fieldset[data-key]")) {
    const item = items.get(fieldset.dataset.key);
    const value = readValue(fieldset);
    if (fieldset.dataset.type === "yes_no" && value === null) open += 1;
    if (value === "fail" || (item?.fail_choices ?? []).includes(value)) fails.push(item?.label ?? fieldset.dataset.key);
  }
  if (fails.length) {
    preview.textContent = `预判：不合格（${fails.length} 项不符合：${fails.join("；")}）。以服务器按标准判定为准。`;
    preview.className = "msg bad";
  } else if (open) {
    preview.textContent = `还有 ${open} 个是否项未选择。`;
    preview.className = "msg warn";
  } else {
    preview.textContent = "预判：是否项均符合；读数由服务器按标准判定，以服务器结论为准。";
    preview.className = "msg good";
  }
}

async function scaledDown(file, maxSide) {
  if (!maxSide) return file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file; // a format this browser cannot draw (HEIC): sent as taken
  }
  const scale = maxSide / Math.max(bitmap.width, bitmap.height);
  if (scale >= 1) return file;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.9));
  return blob ?? file;
}

async function collect() {
  const answers = {};
  const photos = [];
  for (const fieldset of form.querySelectorAll("fieldset[data-key]")) {
    const key = fieldset.dataset.key;
    const hashes = [];
    for (const taken of fieldset.querySelector(".photo")?.files ?? []) {
      // The original as taken is evidence: scaled down only when an admin allows it.
      const file = await scaledDown(taken, Number(form.dataset.maxSide || 0));
      const sha256 = await sha256Hex(new Uint8Array(await file.arrayBuffer()));
      if (!hashes.includes(sha256)) photos.push({ sha256, item_key: key, blob: file });
      hashes.push(sha256);
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

async function submit(event) {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    say("正在保存到本机…", "warn");
    const { answers, photos } = await collect();
    const id = newUuid();
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
    await queue.enqueue(
      {
        id,
        body: JSON.stringify(body),
        label: form.dataset.label,
        assignment: form.dataset.assignment,
        created_at: new Date().toISOString(),
        position: await position(),
      },
      photos,
    );
    form.dataset.queued = id;
    say(`已保存在本机（照片 ${photos.length} 张），正在发送…`, "warn");
    await sync.drain({ force: true });
    const record = await queue.get(id);
    if (record.state === "sent") {
      say("已发送。", "good");
      window.location.assign(`/inspections/${id}`);
    } else {
      say(`已保存在本机，${record.error || "稍后自动发送"}。可以返回任务列表继续检查。`, record.state === "failed" ? "bad" : "warn");
    }
  } catch (error) {
    say(`未能保存：${error.message}`, "bad");
    button.disabled = false;
  }
}

form?.addEventListener("submit", submit);
form?.addEventListener("input", (event) => {
  if (event.target.matches("input.value")) rangeHint(event.target);
});
form?.addEventListener("change", previewVerdict);

// The file input is hidden behind its label: say how many photos are chosen.
for (const input of form?.querySelectorAll("input.photo") ?? []) {
  input.addEventListener("change", () => {
    const count = input.parentElement.querySelector(".photo-count");
    if (count) count.textContent = input.files.length ? `已选 ${input.files.length} 张` : "";
  });
}
