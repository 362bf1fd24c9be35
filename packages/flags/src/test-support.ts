// Helpers shared by the tests of this package (not part of the build).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFlags } from './registry.js';
import type { FlagsLogger } from './types.js';

export const testRegistry = defineFlags({
  'recommendation-v2': {
    description: 'Rank restaurants with the v2 algorithm',
    owner: 'team-dining',
    default: false,
  },
  'maintenance-mode': {
    description: 'Refuse writes while the service is in maintenance',
    owner: 'team-platform',
    default: false,
  },
  'new-onboarding': { description: 'New onboarding flow', owner: 'team-growth', default: true },
});

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A logger that records what it is given. */
export function recordingLogger(): FlagsLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A temporary directory with a flags file in it. */
export async function flagsFile(content: unknown): Promise<{
  file: string;
  write(next: unknown): Promise<void>;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'flags-test-'));
  const file = join(dir, 'flags.json');
  const write = (next: unknown) =>
    writeFile(file, typeof next === 'string' ? next : JSON.stringify(next, null, 2));
  await write(content);
  return { file, write, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `count` user ids, the same ones on every call. */
export function userIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user-${i}`);
}
