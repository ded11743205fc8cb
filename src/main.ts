import { mount } from 'svelte';
import App from './ui/App.svelte';
import { AppState } from './ui/state/app.svelte';
import './ui/global.css';

/**
 * Which pack index to read: the bundled `models/index.json`, or a same-origin `?models=` path
 * (used to point the app at other packs, e.g. test fixtures). Cross-origin indexes are refused:
 * the app never fetches anything from another origin.
 */
function indexUrl(): string {
  const fallback = new URL('models/index.json', document.baseURI).toString();
  const requested = new URLSearchParams(location.search).get('models');
  if (!requested) return fallback;
  const url = new URL(requested, document.baseURI);
  return url.origin === location.origin ? url.toString() : fallback;
}

const app = new AppState({ indexUrl: indexUrl(), requestedPack: new URLSearchParams(location.search).get('pack') });
mount(App, { target: document.getElementById('app')!, props: { app } });

// Read-only hook for automated checks of resource use (tensor count across analyses).
(globalThis as { lymphscope?: unknown }).lymphscope = { stats: () => app.tensorStats() };
