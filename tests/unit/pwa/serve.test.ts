import { spawn } from 'node:child_process';
import { request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface ServeModule {
  startServer(o: { port: number; host: string; plain?: boolean; mounts: { url: string; dir: string }[] }): Promise<Server>;
  DOCUMENT_CSP: string;
  WORKER_CSP: string;
}

/** A raw GET, so the request target reaches the server exactly as written (no client-side escaping). */
function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to GET ${path}`)));
    req.on('error', fail);
    req.end();
  });
}

describe('scripts/serve.mjs', () => {
  let server: Server;
  let port: number;
  let serve: ServeModule;

  beforeAll(async () => {
    serve = (await import(join(process.cwd(), 'scripts/serve.mjs'))) as ServeModule;
    const dir = mkdtempSync(join(tmpdir(), 'serve-test-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'worker.js'), 'self.onmessage = () => {};');
    server = await serve.startServer({ port: 0, host: '127.0.0.1', mounts: [{ url: '/', dir }] });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('answers 400 to a malformed % escape and keeps serving', async () => {
    for (const bad of ['/%', '/%E0%A4%A', '/a%zz.js', '/%C0%AF']) {
      expect((await get(port, bad)).status, bad).toBe(400);
    }
    const next = await get(port, '/');
    expect(next.status).toBe(200);
    expect(next.body).toContain('<title>t</title>');
  });

  it('keeps "//host" a path, not another host', async () => {
    expect((await get(port, '//127.0.0.2/index.html')).status).toBe(404);
    expect((await get(port, '/')).status).toBe(200);
  });

  it('sends the page policy on documents and the worker policy on scripts', async () => {
    const page = await get(port, '/');
    expect(page.headers['content-security-policy']).toBe(serve.DOCUMENT_CSP);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toContain("require-trusted-types-for 'script'");
    const worker = await get(port, '/worker.js');
    expect(worker.headers['content-security-policy']).toBe(serve.WORKER_CSP);
    expect(worker.headers['content-security-policy']).toMatch(/connect-src 'self'(;|$)/);
  });
});

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((ok) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => ok(port));
    });
  });
}

describe('scripts/serve.mjs as a process', () => {
  it('survives a malformed % escape: the next request is served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-proc-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>p</title>');
    const port = await freePort();
    const child = spawn(process.execPath, ['scripts/serve.mjs', '--port', String(port), '--root', dir, '--plain'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((ok, fail) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('served at') && ok());
        child.on('exit', (code) => fail(new Error(`serve.mjs exited (${code})`)));
      });
      expect((await get(port, '/%')).status).toBe(400);
      const next = await get(port, '/');
      expect(next.status).toBe(200);
      expect(next.body).toContain('<title>p</title>');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  });
});
