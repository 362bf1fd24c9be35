import { describe, expect, it } from 'vitest';
import { helmLint, helmTemplate } from './chart.ts';
import type { HelmCommand } from './helm-commands.ts';
import { repositoryHelmCommands } from './test-support/combinations.ts';
import {
  appValuesFiles,
  CHART,
  KIND_VALUES,
  MAJORS,
  PRODUCTION_VALUES,
  REPO_ROOT,
} from './test-support/repo.ts';
import { validateDocuments } from './validate-objects.ts';

// Every values combination the workflows and docs run, read from them (not copied here), with
// the real helm 3 and helm 4.
const found = repositoryHelmCommands();
const SCHEMA_REFUSAL = /values don't meet the specifications of the schema|execution error at/;

function label(command: HelmCommand): string {
  const bound = Object.entries(command.bindings).map(([k, v]) => `${k}=${v}`);
  return `${command.origin}: helm ${command.subcommand}${bound.length ? ` [${bound.join(', ')}]` : ''}`;
}

describe('the helm commands of .github/workflows and docs', () => {
  it('all resolve to a chart and values (stand-ins for run-time values are in test-support/combinations.ts)', () => {
    expect(found.unresolved).toEqual([]);
  });

  it('include CI lint, the bad-values loop, the kind install, CD staging and production, and the deploy doc', () => {
    const from = (file: string): HelmCommand[] =>
      found.commands.filter((c) => c.origin.startsWith(file));
    expect(from('.github/workflows/ci.yml').some((c) => c.subcommand === 'lint')).toBe(true);
    expect(from('.github/workflows/ci.yml').some((c) => c.expect === 'fail')).toBe(true);
    expect(
      found.commands.some(
        (c) => c.subcommand === 'install' && c.valuesFiles.at(-1) === KIND_VALUES,
      ),
    ).toBe(true);
    expect(
      from('.github/workflows/cd.yml').map((c) => c.valuesFiles.includes(PRODUCTION_VALUES)),
    ).toEqual(expect.arrayContaining([true, false]));
    expect(from('docs/').length).toBeGreaterThan(0);
  });
});

for (const major of MAJORS) {
  describe(`helm ${major}`, () => {
    const refused = found.commands.filter(
      (c) => c.expect === 'fail' && (c.subcommand === 'template' || c.subcommand === 'lint'),
    );
    // install/upgrade that a script expects to fail (a rollback drill) fail in the cluster, not
    // in helm: they must render valid objects, or the drill would prove nothing.
    const rendered = found.commands.filter((c) => !refused.includes(c));

    it.concurrent.for(rendered.map((c) => [label(c), c] as const))(
      'renders and validates %s',
      async ([, command], { expect }) => {
        const values = {
          valuesFiles: command.valuesFiles,
          set: command.set,
          setString: command.setString,
          setJson: command.setJson,
        };
        const result = await helmTemplate({
          major,
          chart: command.chart,
          cwd: REPO_ROOT,
          release: command.release,
          ...values,
        });
        expect(result.ok ? '' : result.stderr).toBe('');
        if (!result.ok) return;
        expect(result.documents.length).toBeGreaterThan(0);
        expect(validateDocuments(result.documents)).toEqual([]);
        // lint --strict on top: a template that reads an undefined value fails here.
        const lint = await helmLint({ major, chart: command.chart, cwd: REPO_ROOT, ...values });
        expect(lint.ok ? '' : lint.stderr).toBe('');
      },
    );

    it.concurrent.for(refused.map((c) => [label(c), c] as const))(
      'refuses %s, as the script expects',
      async ([, command], { expect }) => {
        const run = command.subcommand === 'lint' ? helmLint : helmTemplate;
        const result = await run({
          major,
          chart: command.chart,
          cwd: REPO_ROOT,
          valuesFiles: command.valuesFiles,
          set: command.set,
          setString: command.setString,
          setJson: command.setJson,
        });
        expect(result.ok).toBe(false);
        expect(result.stderr).toMatch(SCHEMA_REFUSAL);
      },
    );

    const apps = appValuesFiles();
    const lints = apps.flatMap((app) => [
      [app, [app]] as const,
      [`${PRODUCTION_VALUES} + ${app}`, [PRODUCTION_VALUES, app]] as const,
    ]);
    it.concurrent.for(lints)('lint --strict passes with %s', async ([, files], { expect }) => {
      const result = await helmLint({ major, chart: CHART, cwd: REPO_ROOT, valuesFiles: files });
      expect(result.ok ? '' : result.stderr).toBe('');
    });

    it('lints every app values file (discovered, not listed)', () => {
      expect(apps).toContain('infra/helm/values/where2eat.yaml');
      expect(lints).toHaveLength(apps.length * 2);
    });
  });
}
