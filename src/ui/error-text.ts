import { i18n } from '../i18n/index.svelte';
import type { AppError } from './state/app.svelte';

/** The user-facing sentence for an application error, with the technical detail appended. */
export function errorText(err: AppError): string {
  const base: string = i18n.m.errors[err.code];
  return err.detail ? `${base} (${err.detail})` : base;
}
