import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podman, podmanOk } from './podman.ts';

/**
 * Copies one folder out of an image (through a created, never started container) into a temporary
 * directory, hands it to `use`, and removes both afterwards.
 */
export async function withImageFolder<T>(
  tag: string,
  folder: string,
  use: (dir: string) => Promise<T> | T,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'image-files-'));
  const container = podmanOk(['create', tag]).trim();
  try {
    podmanOk(['cp', `${container}:${folder}`, dir]);
    return await use(dir);
  } finally {
    podman(['rm', '--force', container]);
    rmSync(dir, { recursive: true, force: true });
  }
}
