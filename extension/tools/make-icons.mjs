// Draws the toolbar/store icons (a white phone handset on a green circle) as PNGs:
// `node extension/tools/make-icons.mjs`. No dependencies: the shapes are sampled 4×4
// per pixel and written with node:zlib.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GREEN = [19, 115, 51];
const WHITE = [255, 255, 255];
const SIZES = [16, 32, 48, 128];
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'icons');

// The handset: a quarter arc around C (upper right), thicker at both ends, in a unit
// square from -1 to 1 with y pointing down.
const C = [0.42, -0.42];
const R = 0.78;
function inHandset(x, y) {
  const dx = x - C[0];
  const dy = y - C[1];
  const r = Math.hypot(dx, dy);
  const a = Math.atan2(dy, dx); // 90° points down, 180° left
  const deg = (a * 180) / Math.PI;
  const from = 95;
  const to = 175;
  if (deg >= from && deg <= to) {
    const nearEnd = deg < from + 22 || deg > to - 22;
    const half = nearEnd ? 0.2 : 0.1;
    return Math.abs(r - R) <= half;
  }
  // Round the two ends.
  for (const end of [from, to]) {
    const t = (end * Math.PI) / 180;
    const ex = C[0] + R * Math.cos(t);
    const ey = C[1] + R * Math.sin(t);
    if (Math.hypot(x - ex, y - ey) <= 0.2) return true;
  }
  return false;
}

/** Coverage of the circle and of the handset for pixel (px, py), 4×4 samples. */
function pixel(px, py, size) {
  let circle = 0;
  let white = 0;
  const n = 4;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const u = ((px + (i + 0.5) / n) / size) * 2 - 1;
      const v = ((py + (j + 0.5) / n) / size) * 2 - 1;
      circle += u * u + v * v <= 1 ? 1 : 0;
      white += u * u + v * v <= 1 && inHandset(u, v) ? 1 : 0;
    }
  }
  return [circle, white].map((c) => c / (n * n));
}

function crc32(buf) {
  let c;
  let crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size) {
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let px = 0; px < size; px++) {
      const [cov, white] = pixel(px, py, size);
      const mix = cov > 0 ? white / cov : 0;
      const rgb = GREEN.map((g, i) => Math.round(g + (WHITE[i] - g) * mix));
      row.set([...rgb, Math.round(cov * 255)], 1 + px * 4);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(out, { recursive: true });
for (const size of SIZES) {
  writeFileSync(join(out, `icon-${size}.png`), png(size));
  console.log(`icons/icon-${size}.png`);
}
