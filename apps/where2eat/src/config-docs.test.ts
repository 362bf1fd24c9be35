import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, configSchema, loadConfig } from './config.js';

// Keeps docs/configuration.md and the config schema in step: every variable the schema reads is
// documented once, nothing else is, and the documented types, defaults and production
// requirements are what loadConfig() really does.

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const DOC_PATH = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
const SECTION = '## Variables read by config.ts';

interface DocRow {
  name: string;
  type: string;
  defaultCell: string;
  production: string;
}

/** The parts of a zod 4 schema node this test reads. */
interface SchemaNode {
  def: { type: string; innerType?: SchemaNode; in?: SchemaNode };
  format?: string | null;
  options?: readonly string[];
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
}

function documentedRows(markdown: string): DocRow[] {
  const start = markdown.indexOf(`\n${SECTION}\n`);
  if (start === -1) throw new Error(`docs/configuration.md has no "${SECTION}" section`);
  const rest = markdown.slice(start + SECTION.length + 2);
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const rows: DocRow[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    // Split on pipes that are not escaped (`a` \| `b` stays in one cell).
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|'));
    const name = /^`([A-Z0-9_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (!name || cells.length !== 5) throw new Error(`malformed row in ${SECTION}: ${line}`);
    rows.push({
      name,
      type: cells[1] ?? '',
      defaultCell: cells[2] ?? '',
      production: cells[3] ?? '',
    });
  }
  return rows;
}

const codeSpans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

/** The field without its `.default()` / `.optional()` wrappers. */
function unwrap(node: SchemaNode): SchemaNode {
  let inner = node;
  while ((inner.def.type === 'default' || inner.def.type === 'optional') && inner.def.innerType) {
    inner = inner.def.innerType;
  }
  return inner;
}

/** How a config value is written in the docs: paths relative to the app, the rest as text. */
function asDocumented(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isAbsolute(value)) return relative(APP_DIR, value);
  return String(value);
}

const shape = configSchema.in.shape as unknown as Record<string, SchemaNode>;
const schemaNames = Object.keys(shape).sort();
const rows = documentedRows(readFileSync(DOC_PATH, 'utf8'));
const byName = new Map(rows.map((row) => [row.name, row]));

/** Values for the variables production requires, to build a valid production environment. */
const PRODUCTION_SAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgres://app@db.internal:5432/where2eat',
  AUTH_ISSUER: 'https://id.example.com/',
};
const requiredInProduction = rows
  .filter((row) => row.production.includes('**required**'))
  .map((row) => row.name);

function productionEnv(without?: string): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: 'production' };
  for (const name of requiredInProduction) {
    const sample = PRODUCTION_SAMPLES[name];
    if (sample === undefined) throw new Error(`add a sample value for ${name} to this test`);
    if (name !== without) env[name] = sample;
  }
  return env;
}

describe('docs/configuration.md', () => {
  it('documents exactly the variables of the config schema', () => {
    const documented = rows.map((row) => row.name);
    const missing = schemaNames.filter((name) => !byName.has(name));
    const unknown = documented.filter((name) => !(name in shape));
    expect(missing, 'read by config.ts but not documented').toEqual([]);
    expect(unknown, 'documented but not read by config.ts').toEqual([]);
    expect(new Set(documented).size, 'a variable is documented twice').toBe(documented.length);
    expect([...documented].sort()).toEqual(schemaNames);
  });

  it.each(schemaNames)('documents the type of %s', (name) => {
    const row = byName.get(name);
    const field = shape[name];
    if (!row || !field) throw new Error(`${name} is not documented`);
    const inner = unwrap(field);
    const choices =
      inner.options ?? (inner.def.type === 'pipe' ? inner.def.in?.options : undefined);
    if (choices) {
      expect(new Set(codeSpans(row.type)), `allowed values of ${name}`).toEqual(new Set(choices));
    } else if (inner.def.type === 'number') {
      const range = `${inner.minValue}–${inner.maxValue}`;
      expect(row.type.replaceAll(',', ''), `range of ${name}`).toContain(range);
      expect(row.type.startsWith(inner.isInt ? 'integer' : 'number'), row.type).toBe(true);
    } else if (inner.def.type === 'string') {
      expect(row.type.startsWith(inner.format === 'url' ? 'URL' : 'string'), row.type).toBe(true);
    } else {
      throw new Error(`${name}: teach this test the schema type "${inner.def.type}"`);
    }
  });

  it.each(schemaNames)('documents the default of %s', (name) => {
    const row = byName.get(name);
    if (!row) throw new Error(`${name} is not documented`);
    const development = loadConfig({}) as Record<string, unknown>;
    if (row.defaultCell.startsWith('not set')) {
      expect(development[name], `${name} with nothing set`).toBeUndefined();
    } else {
      const [documented] = codeSpans(row.defaultCell);
      expect(documented, `${name}: the default cell needs a code span`).toBeDefined();
      expect(asDocumented(development[name]), `${name} with nothing set`).toBe(documented);
    }
    const inProduction = /production: `([^`]+)`/.exec(row.defaultCell)?.[1];
    if (inProduction !== undefined) {
      const production = loadConfig(productionEnv()) as Record<string, unknown>;
      expect(asDocumented(production[name]), `${name} in production`).toBe(inProduction);
    }
  });

  it('marks exactly the variables production requires', () => {
    expect(requiredInProduction.length, 'no variable is marked **required**').toBeGreaterThan(0);
    expect(() => loadConfig(productionEnv())).not.toThrow();
    for (const name of requiredInProduction) {
      let error: unknown;
      try {
        loadConfig(productionEnv(name));
      } catch (err) {
        error = err;
      }
      expect(error, `production without ${name}`).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toMatch(new RegExp(`^${name}: `, 'm'));
    }
  });
});
