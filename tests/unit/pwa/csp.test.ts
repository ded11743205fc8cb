import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cspFor, DOCUMENT_CSP, WORKER_CSP } from '../../../src/pwa/csp';
import { withIsolationHeaders } from '../../../src/pwa/isolation';
import { appScriptUrl } from '../../../src/pwa/trusted-types';

const directives = (policy: string) => new Map(policy.split(/;\s*/).map((d) => [d.split(' ')[0]!, d]));

describe('Content-Security-Policy', () => {
  it('is the same in serve.mjs, the service worker and (less frame-ancestors) the page <meta>', async () => {
    const serve = (await import(join(process.cwd(), 'scripts/serve.mjs'))) as { DOCUMENT_CSP: string; WORKER_CSP: string };
    expect(serve.DOCUMENT_CSP).toBe(DOCUMENT_CSP);
    expect(serve.WORKER_CSP).toBe(WORKER_CSP);
    const html = readFileSync(join(process.cwd(), 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(DOCUMENT_CSP.replace("; frame-ancestors 'none'", ''));
  });

  it('page: Trusted Types required, no blob: or inline script, no framing', () => {
    const d = directives(DOCUMENT_CSP);
    expect(d.get('require-trusted-types-for')).toBe("require-trusted-types-for 'script'");
    expect(d.get('script-src')).not.toMatch(/blob:|'unsafe-inline'|'unsafe-eval'/);
    expect(d.get('worker-src')).toBe("worker-src 'self'");
    expect(d.get('frame-ancestors')).toBe("frame-ancestors 'none'");
  });

  it('workers: no connection to another origin; blob: scripts only here (tfjs WebAssembly threads)', () => {
    const d = directives(WORKER_CSP);
    expect(d.get('connect-src')).toBe("connect-src 'self'");
    expect(d.get('script-src')).toContain('blob:');
    expect(cspFor('text/javascript; charset=utf-8')).toBe(WORKER_CSP);
    expect(cspFor('text/html')).toBe(DOCUMENT_CSP);
  });

  it('the service worker adds the policy for the response type', () => {
    const js = withIsolationHeaders(new Response('x', { headers: { 'Content-Type': 'text/javascript' } }));
    expect(js.headers.get('Content-Security-Policy')).toBe(WORKER_CSP);
    const page = withIsolationHeaders(new Response('x', { headers: { 'Content-Type': 'text/html' } }));
    expect(page.headers.get('Content-Security-Policy')).toBe(DOCUMENT_CSP);
    expect(page.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
  });
});

describe('Trusted Types default policy (script URLs)', () => {
  const base = 'http://127.0.0.1:4173/clinic/app/index.html';
  const origin = 'http://127.0.0.1:4173';
  it('lets through scripts of the app folder only', () => {
    expect(appScriptUrl('assets/worker-abc.js', base, origin)).toBe('http://127.0.0.1:4173/clinic/app/assets/worker-abc.js');
    expect(appScriptUrl('http://127.0.0.1:4173/clinic/app/sw.js', base, origin)).toBe('http://127.0.0.1:4173/clinic/app/sw.js');
    for (const bad of [
      '/other/x.js',
      'http://127.0.0.2:4173/clinic/app/x.js',
      '//evil/clinic/app/x.js',
      'data:text/javascript,1',
    ]) {
      expect(() => appScriptUrl(bad, base, origin), bad).toThrow(TypeError);
    }
  });
});
