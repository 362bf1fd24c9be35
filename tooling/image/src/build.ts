import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppImage } from './apps.ts';
import { dockerfileArg, ensureBaseImage } from './base-image.ts';
import { loadConfig, OUT_DIR } from './config.ts';
import { contextHash } from './context-hash.ts';
import { imageExists, podman, podmanStreamed, ULIMITS } from './podman.ts';

/** Label each local build carries: the {@link contextHash} of the tree it was built from. */
export const CONTEXT_HASH_LABEL = 'local.image-tool.context-hash';

export interface BuildOptions {
  readonly repoRoot: string;
  /** Build even when the tag holds a build of the same tree. Default: `false`. */
  readonly force?: boolean;
  /** Longest a build may take. Default: `1_800_000` (30 min). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface BuildResult {
  readonly tag: string;
  /** False when the tag already held a build of the same tree. */
  readonly built: boolean;
  readonly seconds: number;
}

/** The context hash an existing image was built from, if it carries one. */
export function builtFrom(tag: string): string | undefined {
  if (!imageExists(tag)) return undefined;
  const out = podman([
    'image',
    'inspect',
    '--format',
    `{{index .Labels "${CONTEXT_HASH_LABEL}"}}`,
    tag,
  ]);
  const value = out.stdout.trim();
  return out.status === 0 && value !== '' && value !== '<no value>' ? value : undefined;
}

/**
 * Builds `apps/<app>/Dockerfile` from the repository root with podman, as `docker build` would
 * (Docker image format, so HEALTHCHECK is kept), after making the base image if it is missing.
 * Reuses the tag when it was built from the same tree. The machine's extra CA bundle, if any,
 * reaches the RUN steps through read-only bind mounts (see {@link extraCaMounts}): it is never
 * copied into a layer and the Dockerfile stays the one users build with docker.
 *
 * @throws {Error} when the base image cannot be made or the build fails
 */
export async function buildApp(image: AppImage, options: BuildOptions): Promise<BuildResult> {
  const { repoRoot, force = false, timeoutMs = 30 * 60_000, log = console.log } = options;
  const started = Date.now();
  const hash = contextHash(repoRoot);
  if (!force && builtFrom(image.tag) === hash) {
    log(`${image.tag} was built from this tree (${hash}), reusing it`);
    return { tag: image.tag, built: false, seconds: 0 };
  }
  const dockerfile = join(repoRoot, image.dockerfile);
  ensureBaseImage({ nodeVersion: dockerfileArg(dockerfile, 'NODE_VERSION'), log });

  const ca = extraCaMounts();
  const gitSha = execFileSync('git', ['rev-parse', 'HEAD'], {
    cwd: repoRoot,
    encoding: 'utf8',
  }).trim();
  log(`building ${image.tag} from ${image.dockerfile} (tree ${hash})`);
  const code = await podmanStreamed(
    [
      'build',
      '--network',
      'host',
      '--format',
      'docker',
      '--pull=never',
      '--layers',
      ...ULIMITS,
      ...ca,
      '--build-arg',
      `GIT_SHA=${gitSha}`,
      '--build-arg',
      `VERSION=${image.version}`,
      '--label',
      `${CONTEXT_HASH_LABEL}=${hash}`,
      '--file',
      dockerfile,
      '--tag',
      image.tag,
      repoRoot,
    ],
    timeoutMs,
  );
  if (code !== 0) throw new Error(`podman build of ${image.dockerfile} exited ${code}`);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  log(`built ${image.tag} in ${seconds} s`);
  return { tag: image.tag, built: true, seconds };
}

/**
 * Bind mounts that let npm inside the build trust the machine's extra CA (NODE_EXTRA_CA_CERTS).
 * buildah does not pass `--env` to RUN steps, so npm learns it from a global npmrc mounted at
 * `$PREFIX/etc/npmrc` that names the mounted bundle as `cafile`. buildah leaves the two mount
 * points behind as empty files; the image test checks that they hold nothing.
 */
export function extraCaMounts(): string[] {
  const { extraCaFile } = loadConfig();
  if (!extraCaFile) return [];
  mkdirSync(OUT_DIR, { recursive: true });
  const npmrc = join(OUT_DIR, 'build-npmrc');
  writeFileSync(npmrc, `cafile=${BUILD_CA_PATH}\n`);
  return [
    '--volume',
    `${extraCaFile}:${BUILD_CA_PATH}:ro`,
    '--volume',
    `${npmrc}:${BUILD_NPMRC_PATH}:ro`,
  ];
}

/** Where the extra CA bundle is mounted during the build. */
export const BUILD_CA_PATH = '/run/extra-ca.pem';
/** npm's global config file in the node image (prefix /usr/local). */
export const BUILD_NPMRC_PATH = '/usr/local/etc/npmrc';
