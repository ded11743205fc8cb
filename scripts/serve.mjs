#!/usr/bin/env node
/**
 * Serves the built app (dist/) on localhost with the headers a hospital's static host should send:
 * cross-origin isolation (enables multi-threaded WASM) and a strict Content-Security-Policy.
 *
 *   node scripts/serve.mjs [--port 4173] [--host 127.0.0.1] [--root dist] [--mount /url/=dir/]... [--plain]
 *
 * `--mount` adds extra folders (the test suites use it for generated fixture packs). `--plain` sends
 * none of the security headers, like a static host that cannot set any (the app's service worker
 * then provides cross-origin isolation and the CSP from the second visit on: src/pwa/isolation.ts).
 * A request path it cannot decode (a malformed % escape) is answered 400; the server carries on.
 */
import { createServer } from 'node:http';
import { createReadStream, readFileSync, statSync } from 'node:fs';
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

// The app's policies (src/pwa/csp.json, explained in src/pwa/csp.ts): the page gets DOCUMENT_CSP
// (Trusted Types, no blob: script), each worker script WORKER_CSP (blob: for tfjs's WebAssembly
// threads; connect-src 'self').
const policies = JSON.parse(readFileSync(new URL('../src/pwa/csp.json', import.meta.url), 'utf8'));
export const DOCUMENT_CSP = policies.document.join('; ');
export const WORKER_CSP = policies.worker.join('; ');

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

/** Thrown for a request path that cannot be decoded: answered 400, the server carries on. */
class BadRequest extends Error {}

function decodePath(encoded) {
  try {
    const decoded = decodeURIComponent(encoded);
    if (decoded.includes('\0')) throw new BadRequest('NUL in path');
    return decoded;
  } catch (e) {
    throw e instanceof BadRequest ? e : new BadRequest('malformed percent escape');
  }
}

function fileFor(mounts, pathname) {
  for (const m of mounts) {
    if (!pathname.startsWith(m.url)) continue;
    const rel = normalize(decodePath(pathname.slice(m.url.length)));
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
    const common = opts.plain
      ? {}
      : {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
          'Cross-Origin-Resource-Policy': 'same-origin',
          'Content-Security-Policy': DOCUMENT_CSP,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
        };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, Allow: 'GET, HEAD' }).end();
      return;
    }
    let file;
    try {
      // Origin-form only ("/path?query"): "//host/x" must stay a path, not become a host.
      const target = req.url ?? '';
      if (!target.startsWith('/')) throw new BadRequest('not an origin-form request target');
      file = fileFor(opts.mounts, new URL(`http://localhost${target}`).pathname);
    } catch (e) {
      if (!(e instanceof BadRequest) && !(e instanceof TypeError)) throw e;
      res.writeHead(400, { ...common, 'Content-Type': 'text/plain' }).end('Bad request');
      return;
    }
    if (!file) {
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    // A worker's policy comes from its own script's response (src/pwa/csp.ts).
    if (!opts.plain && type.startsWith('text/javascript')) common['Content-Security-Policy'] = WORKER_CSP;
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
