import { apiCompare } from 'api-smart-diff';

/** One difference between two documents, as api-smart-diff classifies it. */
export interface Change {
  type: 'breaking' | 'non-breaking' | 'annotation' | 'unclassified' | 'deprecated';
  /** JSON path of the change, e.g. `paths./v1/groups.post.requestBody…maxLength`. */
  path: string;
  description: string;
}

export interface CompatReport {
  beforeVersion: string;
  afterVersion: string;
  /** Breaking changes for consumers: a removed field or operation, a narrowed type, a new requirement. */
  breaking: Change[];
  /** Everything else that changed (additions, descriptions, deprecations). */
  other: Change[];
  /** Whether `afterVersion` starts a new release line (see {@link releaseLine}). */
  newReleaseLine: boolean;
  /** No breaking change, or one that comes with a new release line. */
  ok: boolean;
}

/**
 * The part of a version that must move for a breaking change: the major (`2` of `2.4.1`), or
 * for `0.y.z`, where semver promises nothing, `0.y` (Cargo's convention), so the check bites
 * before 1.0 too.
 *
 * @throws {Error} when `version` is not `MAJOR.MINOR.PATCH`
 */
export function releaseLine(version: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (!match)
    throw new Error(`info.version must be MAJOR.MINOR.PATCH, got ${JSON.stringify(version)}`);
  const [, major, minor] = match;
  return major === '0' ? `0.${minor}` : String(major);
}

function versionOf(doc: unknown, which: string): string {
  const version = (doc as { info?: { version?: unknown } } | null)?.info?.version;
  if (typeof version !== 'string') throw new Error(`the ${which} document has no info.version`);
  return version;
}

/**
 * Compares two OpenAPI documents the way a consumer meets them: each operation with its
 * `$ref`s resolved. Changes reported only under `components` repeat what the operations show,
 * so the report keeps the operation-level ones.
 *
 * @example
 * const report = compareDocuments(before, after);
 * if (!report.ok) throw new Error(formatReport(report));
 */
export function compareDocuments(before: unknown, after: unknown): CompatReport {
  const beforeVersion = versionOf(before, 'base');
  const afterVersion = versionOf(after, 'new');
  const { diffs } = apiCompare(before as object, after as object);
  const seen = new Set<string>();
  const changes: Change[] = [];
  for (const diff of diffs) {
    const path = (diff.path ?? []).join('.');
    if (path.startsWith('components.')) continue;
    const description = diff.description || `${diff.action} ${path}`;
    const key = `${diff.type}\n${description}\n${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    changes.push({ type: diff.type as Change['type'], path, description });
  }
  const breaking = changes.filter((c) => c.type === 'breaking');
  const newReleaseLine = releaseLine(afterVersion) !== releaseLine(beforeVersion);
  return {
    beforeVersion,
    afterVersion,
    breaking,
    other: changes.filter((c) => c.type !== 'breaking'),
    newReleaseLine,
    ok: breaking.length === 0 || newReleaseLine,
  };
}

/** The report as a person reads it: the verdict, then each breaking change. */
export function formatReport(report: CompatReport, label = 'the document'): string {
  const { beforeVersion, afterVersion, breaking, other } = report;
  const head = `${label}: ${beforeVersion} -> ${afterVersion}, ${breaking.length} breaking and ${other.length} other change(s)`;
  const lines = breaking.map((c) => `  breaking: ${c.description} (${c.path})`);
  if (report.ok) {
    const why =
      breaking.length === 0
        ? 'compatible'
        : `breaking, allowed by the new release line ${releaseLine(afterVersion)}`;
    return [`${head}: ${why}`, ...lines].join('\n');
  }
  return [
    `${head}: BREAKING without a new release line (${releaseLine(beforeVersion)})`,
    ...lines,
    `  Keep the old behaviour (add, do not remove or narrow), or move the version to ${nextLine(beforeVersion)} in package.json and regenerate the document.`,
  ].join('\n');
}

function nextLine(version: string): string {
  const line = releaseLine(version);
  return line.startsWith('0.') ? `0.${Number(line.slice(2)) + 1}.0` : `${Number(line) + 1}.0.0`;
}
