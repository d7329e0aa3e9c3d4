import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDataError } from '@walkjump/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FILES, mnist } from '../real/mnist.ts';
import { dataRoot, readDataFile } from './files.ts';

const SHARED = fileURLToPath(new URL('../../../../../shared/data', import.meta.url));
const HAVE = existsSync(join(SHARED, 'mnist'));
if (!HAVE) console.warn(`[datasets] skipping download tests: ${SHARED} not found`);

// A loopback server with one behaviour per path prefix:
//   /good/<f>   the shared file;  /bad/<f>   same length, one byte flipped;
//   /cut/<f>    announces the full Content-Length, sends half, then drops the connection;
//   /short/<f>  a consistent but truncated response (half the bytes, matching Content-Length);
//   /404/<f>    not found.
let server: Server;
let base = '';
const hits: string[] = [];

beforeAll(async () => {
  if (!HAVE) return;
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const [, mode, name] = (req.url ?? '').split('/');
    const path = join(SHARED, 'mnist', name ?? '');
    if (mode === '404' || name === undefined || !existsSync(path)) {
      res.writeHead(404).end('no');
      return;
    }
    const body = readFileSync(path);
    if (mode === 'good') res.writeHead(200, { 'content-length': body.length }).end(body);
    else if (mode === 'bad') {
      const b = Buffer.from(body);
      b[b.length >> 1]! ^= 0x55;
      res.writeHead(200, { 'content-length': b.length }).end(b);
    } else if (mode === 'cut') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    } else if (mode === 'short') {
      const half = body.subarray(0, body.length >> 1);
      res.writeHead(200, { 'content-length': half.length }).end(half);
    } else res.writeHead(400).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (HAVE) await new Promise<void>((r) => server.close(() => r()));
});

const fresh = (): string => mkdtempSync(join(tmpdir(), 'wj-dl-'));
const listing = (dir: string): string[] => (existsSync(join(dir, 'mnist')) ? readdirSync(join(dir, 'mnist')) : []);

describe.skipIf(!HAVE)('download with cache and checksums (loopback HTTP server)', () => {
  it('downloads, verifies and caches good files; the second load reads the cache', async () => {
    const dir = fresh();
    try {
      const before = hits.length;
      const { images, labels } = await mnist({ dir, split: 'test', mirrors: [`${base}/good`] });
      expect(images.shape).toEqual([10000, 28, 28]);
      expect(labels!.shape).toEqual([10000]);
      expect(listing(dir).sort()).toEqual(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
      const md5 = createHash('md5')
        .update(readFileSync(join(dir, 'mnist', 't10k-images-idx3-ubyte.gz')))
        .digest('hex');
      expect(md5).toBe(DATA_FILES.mnist.testImages.md5);
      expect(hits.length - before).toBe(2);
      await mnist({ dir, split: 'test', mirrors: [`${base}/good`], verify: true });
      expect(hits.length - before).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('rejects wrong bytes and leaves nothing in the cache', async () => {
    const dir = fresh();
    try {
      const e = await readDataFile(DATA_FILES.mnist.testLabels, { dir, mirrors: [`${base}/bad`] }).catch(
        (x: Error) => x,
      );
      expect(isDataError(e)).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toContain('mnist/t10k-labels-idx1-ubyte.gz: could not download a verified copy');
      expect(msg).toContain(`${base}/bad/t10k-labels-idx1-ubyte.gz: bad content: md5 `);
      expect(msg).toContain(`expected ${DATA_FILES.mnist.testLabels.md5}`);
      expect(listing(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('rejects an interrupted body and a consistent-but-truncated body; nothing half-written', async () => {
    const dir = fresh();
    try {
      const e = await readDataFile(DATA_FILES.mnist.testImages, {
        dir,
        mirrors: [`${base}/cut`, `${base}/short`, `${base}/404`],
      }).catch((x: Error) => x);
      expect(isDataError(e)).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toContain(`${base}/cut/t10k-images-idx3-ubyte.gz: download failed or was interrupted`);
      expect(msg).toContain(
        `${base}/short/t10k-images-idx3-ubyte.gz: bad content: size 824438 bytes, expected 1648877`,
      );
      expect(msg).toContain(`${base}/404/t10k-images-idx3-ubyte.gz: HTTP 404`);
      expect(listing(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('falls back to the next mirror after a bad one', async () => {
    const dir = fresh();
    try {
      const { bytes, path } = await readDataFile(DATA_FILES.mnist.testLabels, {
        dir,
        mirrors: [`${base}/bad`, `${base}/good`],
      });
      expect(bytes.length).toBe(4542);
      expect(path).toBe(join(dir, 'mnist', 't10k-labels-idx1-ubyte.gz'));
      expect(listing(dir)).toEqual(['t10k-labels-idx1-ubyte.gz']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a corrupted cached file is caught by verify: true; downloads can be disabled', async () => {
    const dir = fresh();
    try {
      mkdirSync(join(dir, 'mnist'), { recursive: true });
      const good = readFileSync(join(SHARED, 'mnist', 't10k-labels-idx1-ubyte.gz'));
      const bad = Buffer.from(good);
      bad[100]! ^= 1;
      writeFileSync(join(dir, 'mnist', 't10k-labels-idx1-ubyte.gz'), bad);
      const e = await readDataFile(DATA_FILES.mnist.testLabels, { dir, verify: true }).catch((x: Error) => x);
      expect((e as Error).message).toMatch(
        /t10k-labels-idx1-ubyte\.gz: checksum mismatch: md5 [0-9a-f]{32}, expected ec29112d/,
      );
      const e2 = await readDataFile(DATA_FILES.mnist.trainLabels, { dir, download: false }).catch((x: Error) => x);
      expect((e2 as Error).message).toMatch(/train-labels-idx1-ubyte\.gz: file not found \(downloads disabled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data root resolution', () => {
  it('dir, then WALKJUMP_DATA, then XDG_CACHE_HOME/walkjump, then ~/.cache/walkjump', async () => {
    const saved = { d: process.env['WALKJUMP_DATA'], x: process.env['XDG_CACHE_HOME'] };
    try {
      process.env['WALKJUMP_DATA'] = '/env/data';
      process.env['XDG_CACHE_HOME'] = '/xdg';
      expect(await dataRoot('/explicit')).toBe('/explicit');
      expect(await dataRoot()).toBe('/env/data');
      delete process.env['WALKJUMP_DATA'];
      expect(await dataRoot()).toBe(join('/xdg', 'walkjump'));
      delete process.env['XDG_CACHE_HOME'];
      const { homedir } = await import('node:os');
      expect(await dataRoot()).toBe(join(homedir(), '.cache', 'walkjump'));
    } finally {
      for (const [k, v] of [
        ['WALKJUMP_DATA', saved.d],
        ['XDG_CACHE_HOME', saved.x],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
