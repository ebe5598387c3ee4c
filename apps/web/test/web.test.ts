/// <reference lib="dom" />
/**
 * The web server against clients nobody here wrote: Debian's curl, Python's
 * http.client and urllib, and headless Chromium (the apt package, driven by
 * playwright-core; nothing downloads a browser) loading a page with an
 * image. Each test starts the shipped program on a loopback port.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  connectTo,
  type ListeningAddress,
  runPythonScript,
  startServer,
  stopAllPrograms,
} from '@sockspec/app-kit/testing';
import { createClient } from '@sockspec/protocol-http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cwd = fileURLToPath(new URL('..', import.meta.url));
const peer = fileURLToPath(new URL('./python/http_peer.py', import.meta.url));
/** Debian's chromium package; CHROMIUM_PATH names another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A 1×1 PNG, so the browser has a real image to decode. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PAGE = '<!doctype html><title>sockspec</title><h1>Hello from a spec</h1><img id="pic" src="pic.png" alt="pic">\n';
/** Past the frame limit (1 MiB + 64 KiB): the server streams it after the head. */
const BIG = Buffer.alloc(3 * 1024 * 1024 + 17, 0).map((_, index) => (index * 7919) % 251);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let root: string;
let address: ListeningAddress;
let base: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sockspec-web-'));
  await writeFile(join(root, 'index.html'), PAGE);
  await writeFile(join(root, 'pic.png'), PNG);
  await writeFile(join(root, 'big.bin'), BIG);
  await mkdir(join(root, 'docs'));
  await writeFile(join(root, 'docs', 'index.html'), 'docs é\n');
  ({ address } = await startServer({ cwd, script: 'src/server.ts', args: ['--port', '0', '--root', root] }));
  if ('path' in address) throw new Error('expected a TCP address');
  base = `http://${address.host}:${address.port}`;
});

afterAll(async () => {
  await stopAllPrograms();
  await rm(root, { recursive: true, force: true });
});

/** curl's response head (-D -) and body, with `args` added. */
async function curl(...args: string[]): Promise<{ head: string; body: string; stderr: string }> {
  const out = join(root, '..', `curl-${process.pid}-${Math.random().toString(16).slice(2)}`);
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '10', '-D', '-', '-o', out, ...args], {
      maxBuffer: 1 << 20,
    });
    const body = existsSync(out) ? await readFile(out, 'latin1') : '';
    return { head: stdout, body, stderr };
  } finally {
    await rm(out, { force: true });
  }
}

const statusOf = (head: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);

/** What the server sends back for raw request bytes, until it closes. */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTo(address);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no close within 5 s')), 5000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(bytes);
  });
}

describe('sockspec-web-server with curl', () => {
  it('serves the index page with its Content-Type and length', async () => {
    const { head, body } = await curl(`${base}/`);
    expect(statusOf(head)).toBe(200);
    expect(head).toMatch(/\r\nContent-Type: text\/html; charset=utf-8\r\n/);
    expect(head).toContain(`\r\nContent-Length: ${Buffer.byteLength(PAGE)}\r\n`);
    expect(body).toBe(PAGE);
  });

  it('keeps the connection alive across requests', async () => {
    const { stderr } = await curl('-v', `${base}/index.html`, '-o', '/dev/null', `${base}/pic.png`);
    expect(stderr).toMatch(/Re-using existing connection/);
  });

  it('answers HEAD with the GET head and no body, and streams a file larger than a frame', async () => {
    const head = await curl('-I', `${base}/big.bin`);
    expect(statusOf(head.head)).toBe(200);
    expect(head.head).toContain(`\r\nContent-Length: ${BIG.length}\r\n`);
    expect(head.head).toContain('\r\nContent-Type: application/octet-stream\r\n');
    // curl -I writes the head where the body would go: the body's absence is checked with Python below.
    const got = await curl(`${base}/big.bin`);
    expect(sha256(Buffer.from(got.body, 'latin1'))).toBe(sha256(BIG));
  });

  it('answers a repeat GET with 304 when the ETag still matches', async () => {
    const first = await curl(`${base}/pic.png`);
    const etag = /\r\nETag: ("[0-9a-f]{64}")\r\n/.exec(first.head)?.[1];
    expect(etag).toBe(`"${sha256(PNG)}"`);
    const again = await curl('-H', `If-None-Match: ${etag}`, `${base}/pic.png`);
    expect(statusOf(again.head)).toBe(304);
    expect(again.body).toBe('');
  });

  it('says 404, 405, 403 and 301 with a reason', async () => {
    const missing = await curl(`${base}/nope.html`);
    expect(statusOf(missing.head)).toBe(404);
    expect(missing.body).toMatch(/no such file/);
    const post = await curl('-X', 'POST', '--data', 'x=1', `${base}/index.html`);
    expect(statusOf(post.head)).toBe(405);
    expect(post.head).toContain('\r\nAllow: GET, HEAD\r\n');
    const outside = await curl('--path-as-is', `${base}/../../etc/passwd`);
    expect(statusOf(outside.head)).toBe(403);
    expect(outside.body).toMatch(/climbs above the root/);
    const directory = await curl(`${base}/docs`);
    expect(statusOf(directory.head)).toBe(301);
    expect(directory.head).toContain('\r\nLocation: /docs/\r\n');
  });

  it('says 400 for a malformed request line, 431 for too long or too many headers, 413 past the body limit', async () => {
    const bad = await curl('--request-target', 'not a path', `${base}/`);
    expect(statusOf(bad.head)).toBe(400);
    const long = await curl('-H', `X-Long: ${'a'.repeat(9000)}`, `${base}/`);
    expect(statusOf(long.head)).toBe(431);
    const many = await curl(...Array.from({ length: 101 }, (_, n) => ['-H', `X-H${n}: v`]).flat(), `${base}/`);
    expect(statusOf(many.head)).toBe(431);
    expect(many.body).toMatch(/maxCount is 100/);
    const large = await curl('-X', 'POST', '-H', 'Content-Length: 2000000', '--data-binary', 'x', `${base}/`);
    expect(statusOf(large.head)).toBe(413);
  });

  it('closes after a malformed head and keeps serving everyone else', async () => {
    const reply = await rawExchange('GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain('\r\nConnection: close\r\n');
    const twoLengths = await rawExchange(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    );
    expect(twoLengths).toMatch(/^HTTP\/1\.1 400 /);
    const fine = await curl(`${base}/`);
    expect(statusOf(fine.head)).toBe(200);
  });

  it('answers pipelined requests in order on one connection', async () => {
    const reply = await rawExchange(
      'GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\nHEAD /pic.png HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => match[1]);
    expect(statuses).toEqual(['200', '200', '200']);
    expect(reply.endsWith(PAGE)).toBe(true);
  });
});

describe('the generated @sockspec/protocol-http client', () => {
  it('pipelines typed requests and reads each Response whole', async () => {
    if ('path' in address) throw new Error('expected a TCP address');
    const client = await createClient({ host: address.host, port: address.port });
    try {
      const get = (target: string) =>
        client.request({
          method: 'GET',
          target,
          version: '1.1',
          headers: [{ name: 'Host', value: 'x' }],
          body: new Uint8Array(0),
        });
      const [page, picture, missing] = await Promise.all([get('/'), get('/pic.png'), get('/nope')]);
      expect(page.status).toBe(200);
      expect(Buffer.from(page.body).toString('utf8')).toBe(PAGE);
      expect(picture.headers).toContainEqual({ name: 'Content-Type', value: 'image/png' });
      expect(Buffer.from(picture.body).equals(PNG)).toBe(true);
      expect([missing.status, missing.reason]).toEqual([404, 'Not Found']);
    } finally {
      client.close();
    }
  });
});

describe("sockspec-web-server with Python's http.client and urllib", () => {
  it('serves four requests on one kept-alive connection, then urllib', async () => {
    const result = await runPythonScript(peer, [base]);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as {
      exchanges: { status: number; type: string; length: string; bodyBytes: number; sha256: string }[];
      connections: number;
      urllib: { status: number; body: string; type: string };
      post: { status: number; allow: string };
    };
    expect(parsed.connections).toBe(1);
    expect(parsed.exchanges.map((exchange) => exchange.status)).toEqual([200, 200, 404, 200]);
    expect(parsed.exchanges[0]).toMatchObject({ type: 'text/html; charset=utf-8', bodyBytes: Buffer.byteLength(PAGE) });
    expect(parsed.exchanges[1]).toMatchObject({ length: String(BIG.length), bodyBytes: 0 });
    expect(parsed.exchanges[3]).toMatchObject({ bodyBytes: BIG.length, sha256: sha256(BIG) });
    expect(parsed.urllib).toEqual({ status: 200, body: 'docs é\n', type: 'text/html; charset=utf-8' });
    expect(parsed.post).toEqual({ status: 405, allow: 'GET, HEAD' });
  });
});

describe('sockspec-web-server with headless Chromium', () => {
  it('loads a page and its image', async () => {
    expect(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`).toBe(true);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
    try {
      const page = await browser.newPage();
      const statuses: string[] = [];
      page.on('response', (response) => statuses.push(`${response.status()} ${new URL(response.url()).pathname}`));
      const response = await page.goto(`${base}/`, { timeout: 15_000 });
      expect(response?.status()).toBe(200);
      await page.waitForFunction(() => (document.getElementById('pic') as HTMLImageElement | null)?.complete === true);
      const image = await page.evaluate(() => {
        const img = document.getElementById('pic') as HTMLImageElement;
        return { width: img.naturalWidth, height: img.naturalHeight };
      });
      expect(image).toEqual({ width: 1, height: 1 });
      expect(await page.textContent('h1')).toBe('Hello from a spec');
      expect(statuses).toContain('200 /pic.png');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
