import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AppImage {
  /** Folder name under apps/ (also the image name). */
  readonly app: string;
  /** The workspace's package name. */
  readonly packageName: string;
  readonly version: string;
  /** Path of the Dockerfile, relative to the repository root. */
  readonly dockerfile: string;
  /** Local tag every build of this app gets. */
  readonly tag: string;
}

/** Every app with a Dockerfile (`apps/<name>/Dockerfile`); apps without one have no image. */
export function discoverApps(repoRoot: string): AppImage[] {
  const appsDir = join(repoRoot, 'apps');
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(appsDir, entry.name, 'Dockerfile')))
    .map((entry) => {
      const pkg = JSON.parse(readFileSync(join(appsDir, entry.name, 'package.json'), 'utf8'));
      return {
        app: entry.name,
        packageName: String(pkg.name),
        version: String(pkg.version),
        dockerfile: `apps/${entry.name}/Dockerfile`,
        tag: `localhost/${entry.name}:local`,
      };
    })
    .sort((a, b) => a.app.localeCompare(b.app));
}
