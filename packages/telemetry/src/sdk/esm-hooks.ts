import { register as registerLoader } from 'node:module';
import {
  register as registerSyncHooks,
  supportsSyncHooks,
} from 'import-in-the-middle/register-hooks.mjs';

let registered = false;

/**
 * Lets OpenTelemetry patch ES modules: registers import-in-the-middle as a module loader hook
 * that intercepts only the listed modules (so every other import stays untouched and fast).
 * In-thread synchronous hooks where Node supports them, the loader thread otherwise.
 * Runs once per process; must run before the listed modules are first imported.
 */
export function registerEsmHooks(include: string[]): void {
  if (registered) return;
  registered = true;
  if (supportsSyncHooks()) {
    registerSyncHooks({ include });
  } else {
    registerLoader('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
  }
}
