import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HelmMajor } from '../helm-binary.ts';

/** The repository root: charts, values files, workflows and docs are relative to it, as in CI. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');
export const CHART = 'infra/helm/micro-app';
export const PRODUCTION_VALUES = `${CHART}/values-production.yaml`;
export const KIND_VALUES = 'infra/helm/ci/kind-values.yaml';
export const MAJORS: readonly HelmMajor[] = [3, 4];

/** Every app's values file (`npm run gen:app` adds one), discovered. */
export function appValuesFiles(): string[] {
  return readdirSync(join(REPO_ROOT, 'infra/helm/values'))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `infra/helm/values/${f}`);
}

/** App names, from their values files. */
export function appNames(): string[] {
  return appValuesFiles().map((f) => (f.split('/').pop() ?? '').replace(/\.ya?ml$/, ''));
}

/** Files under `dir` (repository-relative) whose name matches `pattern`. */
export function filesUnder(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(REPO_ROOT, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (pattern.test(entry.name)) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}
