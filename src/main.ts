// First: the pwa room installs the Trusted Types policy before anything creates a worker.
import './pwa';
import { mount } from 'svelte';
import { resolvePackUrl } from './model-pack';
import { App, AppState } from './ui';

/**
 * Which pack index to read: the bundled `models/index.json`, or a `?models=` address that obeys
 * the pack address rule (same origin, inside a `models` folder: model-pack/pack-url.ts). Anything
 * else falls back to the bundled index: the app never fetches anything from another origin.
 */
function indexUrl(): string {
  const fallback = new URL('models/index.json', document.baseURI).toString();
  const requested = new URLSearchParams(location.search).get('models');
  if (!requested) return fallback;
  try {
    return resolvePackUrl(requested, document.baseURI);
  } catch (e) {
    console.warn((e as Error).message);
    return fallback;
  }
}

const app = new AppState({ indexUrl: indexUrl(), requestedPack: new URLSearchParams(location.search).get('pack') });
mount(App, { target: document.getElementById('app')!, props: { app } });

// Read-only hook for automated checks of resource use (tensor count across analyses).
(globalThis as { lymphscope?: unknown }).lymphscope = { stats: () => app.tensorStats() };
