import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { withImageFolder } from './image-files.ts';

export interface SbomOptions {
  /** The image's application folder (the Dockerfile's /app). Default: `/app`. */
  readonly appFolder?: string;
  /** Where to write `<name>.cdx.json`. */
  readonly outDir: string;
  readonly name: string;
}

/**
 * A CycloneDX SBOM of what the image ships: the CycloneDX project's npm generator run over the
 * image's /app tree (copied out of the image, so it lists the installed packages, not the
 * lockfile's wish list). `npm sbom` refuses that tree: the workspace packages still declare dev
 * dependencies the image rightly lacks; `--ignore-npm-errors` reads it as it is.
 *
 * @returns the file written and the number of components in it
 * @throws {Error} when npm cannot read the tree
 */
export async function writeSbom(
  tag: string,
  options: SbomOptions,
): Promise<{ file: string; components: number }> {
  const { appFolder = '/app', outDir, name } = options;
  return withImageFolder(tag, appFolder, (dir) => {
    const root = join(dir, appFolder.split('/').pop() ?? 'app');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${name}.cdx.json`);
    execFileSync(
      process.execPath,
      [
        cyclonedxNpm(),
        '--ignore-npm-errors',
        '--omit',
        'dev',
        '--output-format',
        'JSON',
        '--output-file',
        file,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
    );
    const sbom = JSON.parse(readFileSync(file, 'utf8')) as { components?: Component[] };
    const count = (list: Component[] = []): number =>
      list.reduce((n, c) => n + 1 + count(c.components), 0);
    return { file, components: count(sbom.components) };
  });
}

interface Component {
  readonly name: string;
  readonly components?: Component[];
}

/** The generator's entry point, from its package.json `bin`. */
function cyclonedxNpm(): string {
  const require = createRequire(import.meta.url);
  // The package exports no ./package.json: walk up from its main module to its manifest.
  let dir = dirname(require.resolve('@cyclonedx/cyclonedx-npm'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const manifest = join(dir, 'package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const entry = bin['cyclonedx-npm'] ?? Object.values(bin)[0];
  if (!entry) throw new Error('@cyclonedx/cyclonedx-npm declares no bin');
  return join(dirname(manifest), entry);
}
