/**
 * Static server for the benchmark: the built bench page plus mounted folders (pack, ONNX model,
 * ONNX Runtime Web's files), with or without cross-origin isolation (COOP/COEP), counting the
 * bytes it sends so each scenario's download size is known exactly (workers' fetches included).
 */

import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

export interface BenchServer {
  url: string;
  /** Bytes of response bodies sent since the last reset. */
  bytes(): number;
  reset(): void;
  close(): Promise<void>;
}

/** `port` 0 picks a free port. */
export async function startBenchServer(opts: {
  port: number;
  root: string;
  mounts: Record<string, string>;
  isolated: boolean;
}): Promise<BenchServer> {
  const mounts = [
    ...Object.entries(opts.mounts).map(([url, dir]) => ({ url, dir: resolve(dir) })),
    { url: '/', dir: resolve(opts.root) },
  ];
  let sent = 0;
  const fileFor = (pathname: string): string | null => {
    for (const m of mounts) {
      if (!pathname.startsWith(m.url)) continue;
      const full = join(m.dir, normalize(decodeURIComponent(pathname.slice(m.url.length))));
      if (full !== m.dir && !full.startsWith(m.dir + sep)) return null;
      try {
        const st = statSync(full);
        if (st.isDirectory()) return statSync(join(full, 'index.html')).isFile() ? join(full, 'index.html') : null;
        return st.isFile() ? full : null;
      } catch {
        return null;
      }
    }
    return null;
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers: Record<string, string | number> = opts.isolated
      ? {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
          'Cross-Origin-Resource-Policy': 'same-origin',
        }
      : {};
    const file = fileFor(url.pathname);
    if (!file) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const size = statSync(file).size;
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    sent += size;
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(opts.port, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    bytes: () => sent,
    reset: () => {
      sent = 0;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
