// The public ledger checked in the browser (issue 25): the checkpoint's Ed25519 signature against
// the published key (@noble/ed25519), then, for each record of the trail page, its entry from the
// C2SP tlog-tiles bundle and its RFC 6962 inclusion proof — computed from the tiles — up to the
// signed root. SHA-256 is Web Crypto's. Tiles are immutable and cached: offline, the copies the
// browser kept answer (the checkpoint too, marked as a kept copy).
import * as ed from "../vendor/noble-ed25519/index.js";

const config = JSON.parse(document.getElementById("ledger-config").textContent);
const S = {};
document.getElementById("ledger-strings").content.querySelectorAll("[data-k]").forEach((el) => {
  S[el.dataset.k] = el.textContent.trim();
});
const WIDTH = 256;
const encoder = new TextEncoder();

const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

let fromCache = false;
async function get(path, immutable) {
  const url = `${config.prefix}/${path}`;
  try {
    const response = await fetch(url, { cache: immutable ? "force-cache" : "no-cache" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (immutable) throw error;
    const kept = await fetch(url, { cache: "only-if-cached", mode: "same-origin" }).catch(() => null);
    if (!kept || !kept.ok) throw error;
    fromCache = true;
    return new Uint8Array(await kept.arrayBuffer());
  }
}

// C2SP tlog-tiles paths and widths.
function encodeIndex(n) {
  const groups = [];
  do { groups.unshift(String(n % 1000).padStart(3, "0")); n = Math.floor(n / 1000); } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? "x" + g : g)).join("/");
}
function widthAt(level, index, size) {
  const span = WIDTH ** level;
  const full = Math.floor(size / (span * WIDTH));
  if (index < full) return WIDTH;
  if (index === full) return Math.floor(size / span) % WIDTH;
  return 0;
}
const tilePath = (level, index, width) =>
  `tile/${level}/${encodeIndex(index)}${width === WIDTH ? "" : ".p/" + width}`;

function reader(size) {
  const tiles = new Map();
  async function tile(level, index) {
    const key = `${level}/${index}`;
    if (!tiles.has(key)) {
      const width = widthAt(level, index, size);
      const data = await get(tilePath(level, index, width), true);
      if (data.length !== width * 32) throw new Error(`${tilePath(level, index, width)}: bad size`);
      tiles.set(key, data);
    }
    return tiles.get(key);
  }
  // The hash of the complete subtree of 2**height leaves at ``index``.
  return async function full(height, index) {
    const level = Math.floor(height / 8), below = height % 8;
    const first = index * 2 ** below, count = 2 ** below;
    const data = await tile(level, Math.floor(first / WIDTH));
    const at = first % WIDTH;
    let hashes = [];
    for (let i = 0; i < count; i++) hashes.push(data.slice((at + i) * 32, (at + i + 1) * 32));
    while (hashes.length > 1) {
      const up = [];
      for (let i = 0; i < hashes.length; i += 2) up.push(await nodeHash(hashes[i], hashes[i + 1]));
      hashes = up;
    }
    return hashes[0];
  };
}

// RFC 6962: the hash of a range cut into complete subtrees, the inclusion proof, its check.
async function rangeHash(start, end, full) {
  const parts = [];
  while (start < end) {
    let level = Math.floor(Math.log2(end - start));
    while (start % 2 ** level) level -= 1;
    parts.push(await full(level, start / 2 ** level));
    start += 2 ** level;
  }
  let h = parts.pop();
  while (parts.length) h = await nodeHash(parts.pop(), h);
  return h;
}
async function inclusionProof(index, size, full) {
  const proof = [];
  let start = 0, end = size;
  while (end - start > 1) {
    const k = 2 ** Math.floor(Math.log2(end - start - 1));
    if (index < start + k) { proof.push(await rangeHash(start + k, end, full)); end = start + k; }
    else { proof.push(await rangeHash(start, start + k, full)); start += k; }
  }
  return proof.reverse();
}
async function verifyInclusion(leaf, index, size, proof, root) {
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// C2SP signed note + checkpoint: the log's signature line, checked with its verifier key.
async function openCheckpoint(bytes) {
  const text = new TextDecoder().decode(bytes);
  const cut = text.lastIndexOf("\n\n");
  const body = text.slice(0, cut + 1);
  const first = config.vkey.indexOf("+"), second = config.vkey.indexOf("+", first + 1);
  const name = config.vkey.slice(0, first), keyIdHex = config.vkey.slice(first + 1, second);
  const key = b64(config.vkey.slice(second + 1));
  if (key[0] !== 1) throw new Error("not an Ed25519 key");
  for (const line of text.slice(cut + 2).split("\n")) {
    if (!line.startsWith(`— ${name} `)) continue;
    const raw = b64(line.slice(name.length + 3));
    if (hex(raw.slice(0, 4)) !== keyIdHex) continue;
    if (!(await ed.verifyAsync(raw.slice(4), encoder.encode(body), key.slice(1)))) throw new Error("signature");
    const lines = body.trimEnd().split("\n");
    return { origin: lines[0], size: Number(lines[1]), root: b64(lines[2]) };
  }
  throw new Error("no signature from the log's key");
}

function unbundle(data) {
  const out = [];
  for (let at = 0; at < data.length;) {
    const n = (data[at] << 8) | data[at + 1];
    out.push(data.slice(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

async function check(result) {
  fromCache = false;
  result.textContent = S.checking;
  const head = await openCheckpoint(await get("checkpoint", false));
  if (head.origin !== config.origin) throw new Error("origin");
  const full = reader(head.size);
  const rows = Array.from(document.querySelectorAll("[data-ledger-entry]"))
    .filter((row) => Number(row.dataset.ledgerEntry) < head.size);
  const bundles = new Map();
  for (const row of rows) {
    const index = Number(row.dataset.ledgerEntry);
    const tileIndex = Math.floor(index / WIDTH);
    if (!bundles.has(tileIndex)) {
      const width = widthAt(0, tileIndex, head.size);
      bundles.set(tileIndex, unbundle(await get(`tile/entries/${encodeIndex(tileIndex)}${width === WIDTH ? "" : ".p/" + width}`, true)));
    }
    const body = bundles.get(tileIndex)[index % WIDTH];
    const entry = JSON.parse(new TextDecoder().decode(body));
    if (String(entry.id) !== row.dataset.recordId) throw new Error(`#${index}: another record`);
    if (row.dataset.amount && String(entry.fields.amount) !== row.dataset.amount) throw new Error(`#${index}: amount`);
    const proof = await inclusionProof(index, head.size, full);
    if (!(await verifyInclusion(await leafHash(body), index, head.size, proof, head.root))) {
      throw new Error(`#${index}: not in the tree`);
    }
  }
  const tail = `${head.size} ${S.entries} ${config.key_id}${fromCache ? " " + S.offline : ""}`;
  result.className = "ledger-result ok";
  result.textContent = rows.length ? `${S.ok}: ${rows.length} ${S.ok_detail} ${tail}.` : `${S.ok}. ${S.none} ${tail}.`;
}

const button = document.querySelector("[data-testid=ledger-check]");
const result = document.querySelector("[data-testid=ledger-result]");
button.disabled = false;  // enabled once this module runs (the check needs it)
button.addEventListener("click", () => {
  button.disabled = true;
  check(result).catch((error) => {
    result.className = "ledger-result failed";
    result.textContent = `${S.failed}: ${error.message}`;
  }).finally(() => { button.disabled = false; });
});
