import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The only file of this tool that reads the environment.

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (the build context of every app's Dockerfile). */
export const REPO_ROOT = resolve(here, '../../..');
/** Reports, SBOMs and build stamps; ignored by git. */
export const OUT_DIR = join(here, '..', 'out');

export interface ImageToolConfig {
  /** `CI=true`: a missing binary fails instead of skipping. */
  readonly ci: boolean;
  /** OCI runtime for podman (`IMAGE_RUNTIME`, default runc: crun needs cgroup features some VMs lack). */
  readonly runtime: string;
  /** Extra CA bundle the build mounts for outbound TLS (`NODE_EXTRA_CA_CERTS`), if the file exists. */
  readonly extraCaFile: string | undefined;
  /** Debian mirror for the local base image (`DEBIAN_MIRROR`, else the host's apt sources). */
  readonly debianMirror: string | undefined;
  /** npm version that ships with the Dockerfile's Node (`BASE_NPM_VERSION` overrides the table). */
  readonly npmVersionOverride: string | undefined;
  /** PostgreSQL the image runs against (`DATABASE_URL`; the tests make a database of their own there). */
  readonly databaseUrl: string | undefined;
  /** `IMAGE_BASE=pull`: pull the Dockerfile's FROM image (runners with a registry) instead of making it. */
  readonly pullBase: boolean;
  /** `IMAGE_REBUILD=1`: build even when the tag was built from the same tree. */
  readonly forceRebuild: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ImageToolConfig {
  const ca = env.NODE_EXTRA_CA_CERTS;
  return {
    ci: env.CI === 'true' || env.CI === '1',
    runtime: env.IMAGE_RUNTIME || 'runc',
    extraCaFile: ca && existsSync(ca) ? ca : undefined,
    debianMirror: env.DEBIAN_MIRROR || aptMirror(),
    npmVersionOverride: env.BASE_NPM_VERSION || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    pullBase: env.IMAGE_BASE === 'pull',
    forceRebuild: env.IMAGE_REBUILD === '1',
  };
}

/** The first Debian archive URI in this machine's apt sources (deb822 or one-line format). */
function aptMirror(): string | undefined {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uris = [
      ...text.matchAll(/^URIs:\s*(\S+)/gm),
      ...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/gm),
    ].map((m) => m[1] ?? '');
    const archive = uris.find((uri) => /\/debian\/?$/.test(uri));
    if (archive) return archive;
  }
  return undefined;
}
