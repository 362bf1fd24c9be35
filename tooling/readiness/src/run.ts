/**
 * `npm run readiness`: the production-readiness scorecard of every app in apps/.
 *
 *   npm run readiness [-- --format text|json|github] [--app <name>]…
 *
 * Exit 1 when an app whose lifecycle is `production` (or unknown) has a red gate; red gates of
 * other apps are warnings. Exit 2 on a usage error. Progress goes to stderr, results to stdout.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { discoverApps } from './apps.js';
import { checkApp } from './checks.js';
import { appReport, exitCodeOf, formatGithub, formatJson, formatText } from './report.js';
import type { AppReport, ReadinessReport } from './types.js';

const FORMATS = ['text', 'json', 'github'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: npm run readiness -- [--format text|json|github] [--app <name>]... [--no-color]`;

function usageError(message: string): never {
  process.stderr.write(`readiness: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  let values: { format?: string; app?: string[]; help?: boolean; 'no-color'?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        format: { type: 'string', default: 'text' },
        app: { type: 'string', multiple: true },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) {
    usageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }

  const root = resolve(import.meta.dirname, '../../..');
  const found = discoverApps(root);
  let { apps, skipped } = found;
  if (values.app) {
    for (const name of values.app) {
      const skip = found.skipped.find((s) => s.relDir === `apps/${name}`);
      if (skip) usageError(`${skip.relDir}: ${skip.reason}`);
      if (!apps.some((a) => a.name === name)) {
        usageError(`no app "${name}"; apps: ${apps.map((a) => a.name).join(', ') || 'none'}`);
      }
    }
    apps = apps.filter((a) => values.app?.includes(a.name));
    skipped = [];
  }

  const progress = (message: string): void => {
    process.stderr.write(`readiness: ${message}\n`);
  };
  const reports: AppReport[] = [];
  for (const app of apps) {
    progress(`${app.name}: static checks`);
    reports.push(appReport(app, await checkApp(app, root, { progress })));
  }
  const report: ReadinessReport = { apps: reports, skipped };

  if (format === 'json') process.stdout.write(formatJson(report));
  else {
    const color = format === 'text' && !values['no-color'] && process.stdout.isTTY === true;
    process.stdout.write(formatText(report, { color }));
    if (format === 'github') process.stdout.write(formatGithub(report));
  }
  return exitCodeOf(report);
}

process.exitCode = await main();
