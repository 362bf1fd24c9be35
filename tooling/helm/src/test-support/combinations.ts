import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type FoundCommands,
  markdownHelmCommands,
  type ResolveOptions,
  workflowHelmCommands,
} from '../helm-commands.ts';
import { appNames, filesUnder, REPO_ROOT } from './repo.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/**
 * Stand-ins for what GitHub and the person following a doc supply at run time. A workflow or doc
 * that uses anything else fails the combination test until it is listed here.
 */
export const RESOLVE: ResolveOptions = {
  root: REPO_ROOT,
  // IMAGE and DIGEST: cd.yml's deploy jobs write them to $GITHUB_ENV from the build's artifact.
  variables: { GITHUB_SHA: SHA, IMAGE: 'ghcr.io/your-org/where2eat', DIGEST },
  expressions: {
    'github.sha': SHA,
    'github.event.workflow_run.head_sha || github.sha': SHA,
    'vars.STAGING_DOMAIN': 'staging.example.com',
    'vars.PRODUCTION_DOMAIN': 'example.com',
    'vars.K8S_NAMESPACE_PREFIX': '',
    // The rollback workflow's app input (checked against apps.sh before helm runs).
    'inputs.app': 'where2eat',
  },
  placeholders: {
    owner: 'your-org',
    digest: DIGEST.slice('sha256:'.length),
    'git sha': SHA,
    app: 'where2eat',
  },
  matrixFallback: appNames(),
};

/** Every helm command of `.github/workflows/*.yml` and `docs/**\/*.md`. */
export function repositoryHelmCommands(): FoundCommands & { files: string[] } {
  const all: FoundCommands & { files: string[] } = {
    commands: [],
    unresolved: [],
    skipped: [],
    files: [],
  };
  const workflows = filesUnder('.github/workflows', /\.ya?ml$/);
  const docs = filesUnder('docs', /\.md$/);
  for (const file of [...workflows, ...docs]) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    const found = file.endsWith('.md')
      ? markdownHelmCommands(file, text, RESOLVE)
      : workflowHelmCommands(file, text, RESOLVE);
    all.files.push(file);
    all.commands.push(...found.commands);
    all.unresolved.push(...found.unresolved);
    all.skipped.push(...found.skipped);
  }
  return all;
}
