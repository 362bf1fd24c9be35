import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type AppInfo, LIFECYCLES, type Lifecycle, type SkippedDir } from './types.js';

/** The annotation that names the app in telemetry (`service.name`, `app.id`). */
export const APP_ID_ANNOTATION = 'micro-app/app-id';
/** The annotation that charges the app's costs. */
export const COST_CENTER_ANNOTATION = 'micro-app/cost-center';

export const CATALOG_FILE = 'catalog-info.yaml';

type Map = Record<string, unknown>;

export function isMap(value: unknown): value is Map {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b.c` inside parsed YAML/JSON, or undefined. */
export function pick(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (isMap(v) ? v[key] : undefined), value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads one app folder's catalog entry into an {@link AppInfo}; never throws on bad YAML. */
export function readApp(root: string, name: string): AppInfo {
  const relDir = `apps/${name}`;
  const dir = join(root, relDir);
  let catalog: unknown;
  let catalogError: string | undefined;
  try {
    catalog = parse(readFileSync(join(dir, CATALOG_FILE), 'utf8'));
    if (!isMap(catalog)) catalogError = `${CATALOG_FILE} is not a YAML mapping`;
  } catch (err) {
    catalogError = `${CATALOG_FILE} does not parse: ${(err as Error).message.split('\n')[0]}`;
  }
  const declared = pick(catalog, 'spec.lifecycle');
  const lifecycle = LIFECYCLES.includes(declared as Lifecycle)
    ? (declared as Lifecycle)
    : undefined;
  const annotations = pick(catalog, 'metadata.annotations');
  const serviceName =
    nonEmptyString(isMap(annotations) ? annotations[APP_ID_ANNOTATION] : undefined) ??
    nonEmptyString(pick(catalog, 'metadata.name')) ??
    name;
  return {
    name,
    dir,
    relDir,
    lifecycle,
    serviceName,
    catalog,
    ...(catalogError ? { catalogError } : {}),
  };
}

/**
 * Every folder in `apps/`: those with a `catalog-info.yaml` are apps; the rest are listed as
 * skipped with the reason.
 */
export function discoverApps(root: string): { apps: AppInfo[]; skipped: SkippedDir[] } {
  const appsDir = join(root, 'apps');
  if (!existsSync(appsDir)) return { apps: [], skipped: [] };
  const apps: AppInfo[] = [];
  const skipped: SkippedDir[] = [];
  const names = readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
  for (const name of names) {
    if (existsSync(join(appsDir, name, CATALOG_FILE))) apps.push(readApp(root, name));
    else skipped.push({ relDir: `apps/${name}`, reason: `not an app: no ${CATALOG_FILE}` });
  }
  return { apps, skipped };
}
