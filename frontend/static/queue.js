// The field app's outbox in IndexedDB. A visit is written here first, with its photos
// as taken, and leaves only when the server has it; closing the browser loses nothing.
//
// Store "inspections": one record per visit, keyed by its UUID:
//   { id, body, label, assignment, created_at, state, error, attempts, next_try,
//     posted, verdict, sent_at, confirmed, photos: [{ sha256, item_key, state, error }] }
//   state is "waiting", "sent" or "failed" (failed: the server refused; no retry helps).
// Store "photos": the original bytes, keyed "<inspection id>:<sha256>".

const DB_NAME = "xuncha-field";
const DB_VERSION = 1;

let opened = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open() {
  if (opened) return opened;
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore("inspections", { keyPath: "id" });
    db.createObjectStore("photos");
  };
  opened = promised(request);
  return opened;
}

async function run(stores, mode, work) {
  const db = await open();
  const tx = db.transaction(stores, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
  const result = await work(tx);
  await done;
  return result;
}

export function photoKey(id, sha256) {
  return `${id}:${sha256}`;
}

/** Keep a visit and its photos in one transaction: either all is kept or nothing. */
export async function enqueue(record, photos) {
  const stored = {
    state: "waiting",
    error: "",
    attempts: 0,
    next_try: 0,
    posted: false,
    confirmed: false,
    ...record,
    photos: photos.map(({ sha256, item_key }) => ({ sha256, item_key, state: "waiting", error: "" })),
  };
  await run(["inspections", "photos"], "readwrite", (tx) => {
    tx.objectStore("inspections").put(stored);
    for (const photo of photos) {
      tx.objectStore("photos").put(photo.blob, photoKey(record.id, photo.sha256));
    }
  });
  return stored;
}

/** Every visit in the queue, oldest first. */
export async function all() {
  const rows = await run(["inspections"], "readonly", (tx) =>
    promised(tx.objectStore("inspections").getAll()),
  );
  return rows.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export async function get(id) {
  return run(["inspections"], "readonly", (tx) => promised(tx.objectStore("inspections").get(id)));
}

/** Change a visit's record in place (read and write in one transaction). */
export async function update(id, change) {
  return run(["inspections"], "readwrite", async (tx) => {
    const store = tx.objectStore("inspections");
    const record = await promised(store.get(id));
    if (!record) return null;
    change(record);
    store.put(record);
    return record;
  });
}

export async function photoBlob(id, sha256) {
  return run(["photos"], "readonly", (tx) =>
    promised(tx.objectStore("photos").get(photoKey(id, sha256))),
  );
}

/** Drop the photo bytes the server has confirmed holding; the hashes stay for the record. */
export async function dropPhotos(id, hashes) {
  await run(["photos"], "readwrite", (tx) => {
    for (const sha256 of hashes) tx.objectStore("photos").delete(photoKey(id, sha256));
  });
}

/** Forget visits confirmed by the server before the given ISO time. */
export async function forgetConfirmedBefore(isoTime) {
  const old = (await all()).filter((r) => r.confirmed && r.created_at < isoTime);
  await run(["inspections", "photos"], "readwrite", (tx) => {
    for (const record of old) {
      tx.objectStore("inspections").delete(record.id);
      for (const p of record.photos) tx.objectStore("photos").delete(photoKey(record.id, p.sha256));
    }
  });
  return old.length;
}
