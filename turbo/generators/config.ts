import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { PlopTypes } from '@turbo/gen';
import {
  type AppAnswers,
  costCenterProblem,
  descriptionProblem,
  LIFECYCLES,
  nameProblem,
  ownerProblem,
  type PlannedFile,
  planApp,
  resolveAnswers,
  templateData,
  workspaceScope,
  writePlan,
} from './app-generator.js';

// `turbo gen app` (or `npm run gen:app -- <name>`, which validates its flags and calls this):
// turbo finds generators in each workspace's turbo/generators/config.ts. The prompts answer
// `--args` by position (see PROMPT_ORDER); an empty answer takes the default.

/** How long npm install may take before it is stopped. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

const ok = (problem: string | undefined): string | true => problem ?? true;
const optional =
  (check: (value: string) => string | undefined) =>
  (value: string): string | true =>
    value.trim() === '' ? true : ok(check(value.trim()));

/** The answers as plop hands them over, turned back into {@link AppAnswers} input. */
function fromPlop(answers: PlopTypes.Answers): Partial<AppAnswers> {
  const text = (key: string) =>
    typeof answers[key] === 'string' ? (answers[key] as string).trim() : undefined;
  return {
    name: text('name'),
    description: text('description'),
    owner: text('owner'),
    costCenter: text('costCenter'),
    lifecycle: text('lifecycle') as AppAnswers['lifecycle'] | undefined,
    install: answers.install !== false,
  };
}

/** Runs a tool of the workspace (biome) or npm in the root; returns its exit status. */
function run(root: string, command: string, args: string[], timeoutMs: number): number | null {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    shell: process.platform === 'win32',
  });
  return result.status;
}

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  // This file sits in turbo/generators; the repository root is two folders up.
  const root = resolve(plop.getPlopfilePath(), '../..');
  let planned: PlannedFile[] = [];

  plop.setGenerator('app', {
    description: 'A Hono micro-app in apps/<name>, wired to the workspace packages',
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'App name (kebab-case, e.g. lunch-poll)',
        validate: (value: string) => ok(nameProblem(value.trim(), root)),
      },
      {
        type: 'input',
        name: 'description',
        message: 'One sentence: what does it do? (empty: "<name>: a micro-app")',
        validate: optional(descriptionProblem),
      },
      {
        type: 'input',
        name: 'owner',
        message: 'Owning team (empty: team-<name>)',
        validate: optional(ownerProblem),
      },
      {
        type: 'input',
        name: 'costCenter',
        message: 'Cost center (empty: unassigned)',
        validate: optional(costCenterProblem),
      },
      {
        type: 'list',
        name: 'lifecycle',
        message: 'Lifecycle stage',
        choices: [...LIFECYCLES],
        default: 'prototype',
      },
      {
        type: 'confirm',
        name: 'install',
        message: 'Run npm install now to link the new workspace?',
        default: true,
      },
    ],
    actions: [
      function writeApp(answers) {
        const app = resolveAnswers(fromPlop(answers), root);
        planned = planApp(root, templateData(root, app), (template, data) =>
          plop.renderString(template, data),
        );
        writePlan(root, planned);
        return `wrote ${planned.length} files: apps/${app.name}, its chart values and its operations files in infra/`;
      },
      function formatApp() {
        // Lines that hold the app's name are as long as the name: let the formatter settle them.
        const biome = createRequire(join(root, 'package.json')).resolve('@biomejs/biome/bin/biome');
        const paths = planned.map((f) => f.path).filter((p) => /\.(ts|json)$/.test(p));
        const status = run(
          root,
          process.execPath,
          [biome, 'check', '--write', '--no-errors-on-unmatched', ...paths],
          60_000,
        );
        if (status !== 0) throw new Error(`biome check --write exited with ${status}`);
        return 'formatted with biome';
      },
      function installWorkspace(answers) {
        if (answers.install === false) {
          return 'skipped npm install: run it before npm test, it links the new workspace';
        }
        const status = run(
          root,
          'npm',
          ['install', '--prefer-offline', '--no-audit', '--no-fund'],
          INSTALL_TIMEOUT_MS,
        );
        if (status !== 0) {
          throw new Error(`npm install exited with ${status}; run it again before npm test`);
        }
        return 'npm install linked the new workspace';
      },
      function writeOpenApiDocument(answers) {
        const pkg = `${workspaceScope(root)}/${answers.name}`;
        if (answers.install === false) {
          return `skipped openapi.json: after npm install, run npx turbo run openapi --filter=${pkg}`;
        }
        // turbo builds the workspace packages the app imports first (cached when built).
        process.stdout.write('building the shared packages and rendering openapi.json…\n');
        const status = run(
          root,
          'npx',
          ['turbo', 'run', 'openapi', `--filter=${pkg}`, '--output-logs=errors-only'],
          INSTALL_TIMEOUT_MS,
        );
        if (status !== 0) throw new Error(`turbo run openapi exited with ${status}`);
        return 'wrote openapi.json (npm run api:check lints it)';
      },
    ],
  });
}
