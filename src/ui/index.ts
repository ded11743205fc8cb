/** The page's user interface: the root component, the application state it is given, and the global styles. */
import './global.css';

export { default as App } from './App.svelte';
export { AppState } from './state/app.svelte';
