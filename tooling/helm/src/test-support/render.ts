import { expect } from 'vitest';
import { helmLint, helmTemplate, type KubeObject, type TemplateOptions } from '../chart.ts';
import type { HelmMajor } from '../helm-binary.ts';
import { validateDocuments } from '../validate-objects.ts';
import { CHART, REPO_ROOT } from './repo.ts';

export type RenderOptions = Omit<TemplateOptions, 'major' | 'chart'> & { chart?: string };

/** Renders with real helm, fails the test with helm's stderr when helm refuses. */
export async function render(major: HelmMajor, options: RenderOptions): Promise<KubeObject[]> {
  const result = await helmTemplate({
    chart: CHART,
    cwd: REPO_ROOT,
    release: 'where2eat',
    ...options,
    major,
  });
  if (!result.ok) expect.fail(`helm ${major} ${result.args.join(' ')} failed:\n${result.stderr}`);
  return result.documents.map((d) => d.object);
}

/** Renders, then validates every object against the schema of its kind (no unknown fields). */
export async function renderValid(major: HelmMajor, options: RenderOptions): Promise<KubeObject[]> {
  const result = await helmTemplate({
    chart: CHART,
    cwd: REPO_ROOT,
    release: 'where2eat',
    ...options,
    major,
  });
  if (!result.ok) expect.fail(`helm ${major} ${result.args.join(' ')} failed:\n${result.stderr}`);
  expect(validateDocuments(result.documents)).toEqual([]);
  return result.documents.map((d) => d.object);
}

/** `helm lint --strict` with these values; fails the test with helm's findings. */
export async function lintClean(major: HelmMajor, options: RenderOptions): Promise<void> {
  const result = await helmLint({ chart: CHART, cwd: REPO_ROOT, ...options, major });
  if (!result.ok) expect.fail(`helm ${major} ${result.args.join(' ')} failed:\n${result.stderr}`);
}

/** The objects of one kind. */
export function ofKind<T = KubeObject>(objects: readonly KubeObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/** The one object of a kind and name (or the only one of the kind). */
export function one<T = KubeObject>(
  objects: readonly KubeObject[],
  kind: string,
  name?: string,
): T {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata?.name === name),
  );
  expect(
    found.map((o) => o.metadata?.name),
    `${kind} ${name ?? ''}`,
  ).toHaveLength(1);
  return found[0] as T;
}
