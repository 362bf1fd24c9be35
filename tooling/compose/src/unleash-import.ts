// Builds the file Unleash imports on start in the compose stack (IMPORT_FILE, Unleash's feature
// export format) from where2eat's bootstrap file, apps/where2eat/flags.json. The flags package's
// own parser turns the bootstrap file into Unleash feature definitions, so the stack's Unleash
// serves exactly what the app serves offline.
//
// Regenerate after editing flags.json (compose.test.ts fails until you do):
//   npm run build -w @micro-app/flags && node tooling/compose/src/unleash-import.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseFlagsFile } from '@micro-app/flags';

const root = resolve(import.meta.dirname, '../../..');
export const FLAGS_FILE = join(root, 'apps/where2eat/flags.json');
export const IMPORT_FILE = join(root, 'infra/compose/unleash-import.json');

/** The subset of Unleash's export format the import on start reads. */
export interface UnleashImport {
  features: Array<{ name: string; type: 'release'; project: string }>;
  featureStrategies: Array<{
    name: string;
    featureName: string;
    parameters: Record<string, string>;
    constraints: unknown[];
  }>;
  /** `name` and `featureName` both name the flag (Unleash drops entries without featureName). */
  featureEnvironments: Array<{
    name: string;
    featureName: string;
    enabled: boolean;
    environment: string;
  }>;
  tagTypes: never[];
}

/** The import document for `flagsText` (the content of a bootstrap file such as flags.json). */
export function unleashImport(
  flagsText: string,
  { project = 'default', environment = 'development' } = {},
): UnleashImport {
  const definitions = [...parseFlagsFile(flagsText, 'flags.json').values()];
  return {
    features: definitions.map(({ name }) => ({ name, type: 'release', project })),
    featureStrategies: definitions.flatMap(({ name, strategies }) =>
      (strategies ?? []).map((strategy) => ({
        name: strategy.name,
        featureName: name,
        parameters: { ...(strategy.parameters as Record<string, string>) },
        constraints: strategy.constraints ?? [],
      })),
    ),
    featureEnvironments: definitions.map(({ name, enabled }) => ({
      name,
      featureName: name,
      enabled,
      environment,
    })),
    tagTypes: [],
  };
}

/** The checked-in import file's expected content, byte for byte. */
export function renderImportFile(flagsText = readFileSync(FLAGS_FILE, 'utf8')): string {
  return `${JSON.stringify(unleashImport(flagsText), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  writeFileSync(IMPORT_FILE, renderImportFile());
  process.stdout.write(`wrote ${IMPORT_FILE}\n`);
}
