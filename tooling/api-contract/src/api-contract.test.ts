import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appDocuments, lint, validatePact } from './cli.ts';
import { compareDocuments, formatReport, releaseLine } from './compat.ts';

// The real programs on the real documents: Spectral with our ruleset on every app's committed
// openapi.json (which the apps' own tests hold equal to what they serve), swagger-mock-validator
// on the Pact files the consumer tests wrote, and the compatibility check on deliberate breaks.

const ROOT = resolve(import.meta.dirname, '../../..');
const WHERE2EAT = join(ROOT, 'apps/where2eat/openapi.json');
const PACT = join(ROOT, 'packages/where2eat-client/pacts/where2eat-client-where2eat.json');
const CLI = join(import.meta.dirname, 'cli.ts');

// biome-ignore lint/suspicious/noExplicitAny: documents are arbitrary JSON
type Json = any;
const read = (file: string): Json => JSON.parse(readFileSync(file, 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'api-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('spectral with the OWASP ruleset', () => {
  it.each(appDocuments(ROOT).map((file) => [file.slice(ROOT.length + 1), file]))(
    '%s has no error',
    (_, file) => {
      const result = lint(file);
      expect(result.status, result.output).toBe(0);
    },
  );

  it('finds where2eat among the documents', () => {
    expect(appDocuments(ROOT)).toContain(WHERE2EAT);
  });

  it('fails a document with an unbounded string or an undeclared rate limit (the lint can fail)', () => {
    const doc = read(WHERE2EAT);
    delete doc.components.schemas.CreateGroup.properties.name.maxLength;
    delete doc.paths['/v1/cuisines'].get.responses['200'].headers;
    const result = lint(write('unbounded.json', doc));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('owasp:api4:2023-string-limit');
    expect(result.output).toContain('owasp:api4:2023-rate-limit');
  });
});

describe('pacts against the document', () => {
  it("where2eat-client's pact asks only what where2eat's document promises", () => {
    expect(
      existsSync(PACT),
      'the where2eat-client consumer tests write the pact (turbo runs them first)',
    ).toBe(true);
    const result = validatePact(WHERE2EAT, PACT);
    expect(result.status, result.output).toBe(0);
  });

  it('fails a pact that sends a field or expects a value the document does not have', () => {
    const pact = read(PACT);
    const create = pact.interactions.find(
      (i: Json) => i.request.method === 'POST' && i.request.path === '/v1/groups',
    );
    create.request.body.content.colour = 'red';
    const cuisines = pact.interactions.find((i: Json) => i.request.path === '/v1/cuisines');
    cuisines.response.body.content.items.push(42);
    const result = validatePact(WHERE2EAT, write('pact.json', pact));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('request.body.incompatible');
    expect(result.output).toContain('response.body.incompatible');
  });
});

describe('compatibility check', () => {
  const before = read(WHERE2EAT);
  const broken = (version: string) => {
    const doc = structuredClone(before);
    doc.info.version = version;
    // A removed response field and a narrowed request field.
    delete doc.components.schemas.Group.properties.ownerSub;
    doc.components.schemas.Group.required = doc.components.schemas.Group.required.filter(
      (name: string) => name !== 'ownerSub',
    );
    doc.components.schemas.CreateGroup.properties.name.maxLength = 10;
    return doc;
  };

  it('finds nothing between a document and itself', () => {
    const report = compareDocuments(before, structuredClone(before));
    expect(report).toMatchObject({ ok: true, breaking: [], other: [] });
  });

  it('refuses a breaking change within the release line, naming each change', () => {
    const report = compareDocuments(before, broken(before.info.version));
    expect(report.ok).toBe(false);
    const text = formatReport(report);
    expect(text).toContain('BREAKING');
    expect(text).toMatch(/ownerSub/);
    expect(text).toMatch(/maxLength/);
  });

  it('allows the same change with a new release line', () => {
    const next = releaseLine(before.info.version).startsWith('0.') ? '0.99.0' : '99.0.0';
    const report = compareDocuments(before, broken(next));
    expect(report.breaking.length).toBeGreaterThan(0);
    expect(report).toMatchObject({ ok: true, newReleaseLine: true });
  });

  it('allows an addition (a new optional response field) without a new version', () => {
    const doc = structuredClone(before);
    doc.components.schemas.Group.properties.colour = { type: 'string', maxLength: 20 };
    const report = compareDocuments(before, doc);
    expect(report).toMatchObject({ ok: true, breaking: [] });
    expect(report.other.length).toBeGreaterThan(0);
  });

  it('exits 1 from the command line on a breaking change', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--experimental-strip-types',
        '--no-warnings',
        CLI,
        'compat',
        WHERE2EAT,
        write('broken.json', broken(before.info.version)),
      ],
      { encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toContain('BREAKING without a new release line');
  });

  it.each([
    ['1.4.2', '1'],
    ['2.0.0-rc.1', '2'],
    ['0.3.9', '0.3'],
  ])('puts %s on release line %s', (version, line) => {
    expect(releaseLine(version)).toBe(line);
  });

  it('refuses a version that is not MAJOR.MINOR.PATCH', () => {
    expect(() => releaseLine('v1')).toThrow(/MAJOR\.MINOR\.PATCH/);
  });
});
