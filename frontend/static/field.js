// Every inspector page: install the service worker, keep today's visits for offline use,
// show the outbox (what waits, what was sent, what failed and why) and the receipt check.

import * as queue from "./queue.js";
import * as sync from "./sync.js";

const STATES = { waiting: "等待发送", sent: "已发送", failed: "发送失败" };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function timeText(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function recordItem(record) {
  const sent = record.photos.filter((p) => p.state === "sent").length;
  const item = el(
    "li",
    { "data-id": record.id, "data-state": record.state, class: `outbox-${record.state}` },
    el("strong", {}, record.label),
    ` · ${timeText(record.created_at)} · `,
    el("span", { class: "state" }, STATES[record.state] ?? record.state),
    ` · 照片 ${sent}/${record.photos.length}`,
  );
  if (record.confirmed) item.append(" · 服务器已确认");
  if (record.error && record.state !== "sent") item.append(el("br"), el("span", { class: "small" }, record.error));
  if (record.state === "failed") {
    const again = el("button", { type: "button", class: "link" }, "重新发送");
    again.addEventListener("click", () => sync.retry(record.id));
    item.append(" ", again);
  }
  if (record.posted) item.append(" ", el("a", { href: `/inspections/${record.id}` }, "查看结果"));
  return item;
}

function summaryText(records) {
  const count = (s) => records.filter((r) => r.state === s).length;
  const online = navigator.onLine ? "在线" : "离线";
  return `${online} · 等待发送 ${count("waiting")} 条 · 已发送 ${count("sent")} 条 · 发送失败 ${count("failed")} 条`;
}

async function render() {
  const box = document.getElementById("outbox");
  if (!box) return;
  const records = await queue.all();
  box.hidden = records.length === 0 && navigator.onLine;
  document.getElementById("outbox-summary").textContent = summaryText(records);
  document.getElementById("outbox-list").replaceChildren(...records.slice().reverse().map(recordItem));
  markTasks(records);
}

// On the task list, a visit already in the outbox says so.
function markTasks(records) {
  const byAssignment = new Map(records.map((r) => [String(r.assignment), r]));
  for (const task of document.querySelectorAll("[data-assignment-task]")) {
    const record = byAssignment.get(task.dataset.assignmentTask);
    const badge = task.querySelector(".local-state");
    if (record && badge) badge.textContent = `本机记录：${STATES[record.state]}`;
  }
}

async function showReceipt() {
  const out = document.getElementById("receipt");
  out.textContent = "正在核对…";
  try {
    const result = await sync.receiptCheck();
    const lines = [`服务器今天（${result.day}）共收到您的记录 ${result.received} 条。`];
    for (const p of result.problems) lines.push(`${p.label}：${p.what}，已重新排队发送。`);
    if (result.elsewhere.length) lines.push(`其中 ${result.elsewhere.length} 条来自其他设备或同组人员。`);
    if (!result.problems.length) lines.push("本机已发送的记录服务器都已收到。");
    out.replaceChildren(...lines.map((line) => el("p", {}, line)));
  } catch (error) {
    out.textContent = `暂时无法核对：${error.message}`;
  }
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const registration = await navigator.serviceWorker.ready;
  const tasks = [...document.querySelectorAll("a.task-link")].map((a) => a.getAttribute("href"));
  if (document.body.dataset.page === "inspector-home" && navigator.onLine) {
    const urls = [location.pathname + location.search, "/inspector", ...tasks];
    registration.active?.postMessage({ type: "warm", urls: [...new Set(urls)] });
  }
}

sync.onChange(render);
window.addEventListener("online", render);
window.addEventListener("offline", render);
document.getElementById("receipt-check")?.addEventListener("click", showReceipt);
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data?.type === "warmed") document.body.dataset.offlineReady = "true";
});
render();
registerWorker().catch((error) => console.warn("service worker not installed", error));
if (navigator.onLine) sync.drain({ force: true });
