#!/usr/bin/env node
/**
 * Serves the built app (dist/) on localhost with the headers a hospital's static host should send:
 * cross-origin isolation (enables multi-threaded WASM) and a strict Content-Security-Policy.
 *
 *   node scripts/serve.mjs [--port 4173] [--host 127.0.0.1] [--root dist] [--mount /url/=dir/]... [--plain]
 *
 * `--mount` adds extra folders (the test suites use it for generated fixture packs). `--plain` sends
 * none of the security headers, like a static host that cannot set any (the app's service worker
 * then provides cross-origin isolation from the second visit on: src/pwa/isolation.ts).
 */
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // tfjs-backend-wasm compiles WebAssembly ('wasm-unsafe-eval') and starts its thread pool from
  // same-origin blob: scripts (blob:). No backend needs JavaScript eval.
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT ?? 4173), host: '127.0.0.1', root: 'dist', mounts: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--port') opts.port = Number(v);
    else if (a === '--host') opts.host = v;
    else if (a === '--root') opts.root = v;
    else if (a === '--plain') {
      opts.plain = true;
      continue;
    } else if (a === '--mount') {
      const [url, dir] = v.split('=');
      opts.mounts.push({ url, dir: resolve(dir) });
    } else continue;
    i++;
  }
  opts.mounts.push({ url: '/', dir: resolve(opts.root) });
  return opts;
}

function fileFor(mounts, pathname) {
  for (const m of mounts) {
    if (!pathname.startsWith(m.url)) continue;
    const rel = normalize(decodeURIComponent(pathname.slice(m.url.length)));
    const full = join(m.dir, rel);
    if (full !== m.dir && !full.startsWith(m.dir + sep)) return null;
    try {
      const st = statSync(full);
      if (st.isDirectory()) {
        const index = join(full, 'index.html');
        return statSync(index).isFile() ? index : null;
      }
      return st.isFile() ? full : null;
    } catch {
      return null;
    }
  }
  return null;
}

export function startServer(opts) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const common = opts.plain
      ? {}
      : {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
          'Cross-Origin-Resource-Policy': 'same-origin',
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
        };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = fileFor(opts.mounts, url.pathname);
    if (!file) {
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const noCache = file.endsWith('.html') || file.endsWith('sw.js') || file.endsWith('.webmanifest');
    res.writeHead(200, {
      ...common,
      'Content-Type': type,
      'Content-Length': statSync(file).size,
      'Cache-Control': noCache ? 'no-cache' : 'public, max-age=0, must-revalidate',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(opts.port, opts.host, () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = parseArgs(process.argv.slice(2));
  try {
    statSync(join(opts.mounts.at(-1).dir, 'index.html'));
  } catch {
    console.error(`No built app in ${opts.root}/ — run "npm run build" first.`);
    process.exit(1);
  }
  await startServer(opts);
  console.log(`LymphScope is served at http://${opts.host === '0.0.0.0' ? 'localhost' : opts.host}:${opts.port}/`);
}
