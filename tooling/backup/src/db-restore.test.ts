import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemBinary } from '@micro-app/ci-tools/system-binaries';
import { createDb } from '@micro-app/db';
import { helmBinary } from '@micro-app/helm-tool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// The backup and restore scripts against a real PostgreSQL server (DATABASE_URL, as in CI's
// second and last test steps): a database migrated with where2eat's checked-in migrations and
// filled with rows is dumped by db-backup.sh and restored by db-restore.sh into new databases.

const dir = join(import.meta.dirname, '../../../infra/scripts');
const BACKUP = join(dir, 'db-backup.sh');
const RESTORE = join(dir, 'db-restore.sh');
const MIGRATIONS = resolve(dir, '../../apps/where2eat/drizzle');
const serverUrl = process.env.DATABASE_URL;
/** How many migrations this checkout has: the source database gets all of them. */
const MIGRATION_COUNT = (
  JSON.parse(readFileSync(join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
).entries.length;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function psql(url: string, sql: string): string {
  const result = run('psql', [url, '-XqAt', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

function major(versionText: string): number {
  return Number(/(\d+)(?:\.\d+)?/.exec(versionText)?.[1] ?? Number.NaN);
}

/**
 * Why these tests cannot run here, or undefined when they can. DATABASE_URL comes first: without
 * a server nothing runs, and the client tools are not looked up (so CI's run without
 * DATABASE_URL does not require them). With a server, systemBinary() finds each client tool,
 * printing the reason it skips, or failing under CI=true.
 */
function skipReason(): string | undefined {
  if (!serverUrl) return 'DATABASE_URL is not set (no PostgreSQL server to restore into)';
  for (const tool of ['psql', 'pg_dump', 'pg_restore']) {
    const lookup = systemBinary(tool);
    if (lookup.skipReason) return lookup.skipReason;
  }
  const server = Math.floor(Number(psql(serverUrl, 'show server_version_num')) / 10_000);
  const client = major(run('pg_dump', ['--version']).stdout);
  if (client < server) {
    return `pg_dump ${client} cannot dump a PostgreSQL ${server} server (install postgresql-client-${server})`;
  }
  return undefined;
}

const reason = skipReason();
const suffix = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
const names = {
  source: `restore_src_${suffix}`,
  plain: `restore_plain_${suffix}`,
  target: `restore_dst_${suffix}`,
  drift: `restore_drift_${suffix}`,
  scheduled: `restore_sched_${suffix}`,
  scheduledSource: `restore_schedsrc_${suffix}`,
  noMigrations: `restore_nomig_${suffix}`,
  owner: `restore_owner_${suffix}`,
};
const APP_TABLES = ['public.groups', 'public.members', 'public.idempotency_keys'];

function urlOf(database: string): string {
  const url = new URL(serverUrl ?? 'postgres://localhost');
  url.pathname = `/${database}`;
  return url.toString();
}

function databaseExists(database: string): boolean {
  return (
    psql(serverUrl ?? '', `select count(*) from pg_database where datname = '${database}'`) === '1'
  );
}

function counts(url: string): Record<string, number> {
  return Object.fromEntries(
    APP_TABLES.map((table) => [table, Number(psql(url, `select count(*) from ${table}`))]),
  );
}

/** A database migrated with where2eat's migrations, holding 3 groups, 6 members and 2 keys. */
async function createSource(admin: string, database: string): Promise<void> {
  psql(admin, `create database ${database}`);
  const source = createDb({ schema: {}, url: urlOf(database) });
  try {
    await source.migrate(MIGRATIONS);
  } finally {
    await source.close();
  }
  psql(
    urlOf(database),
    `insert into groups (tenant_id, owner_sub, name)
       select 'acme', 'alice', 'group ' || n from generate_series(1, 3) as n;
     insert into members (group_id, name, user_sub, likes)
       select id, 'member ' || n, 'user' || n, '["thai"]'::jsonb
       from groups cross join generate_series(1, 2) as n;
     insert into idempotency_keys (scope, key, request_hash, status, body)
       values ('acme/alice', 'k1', 'h1', 201, '{}'), ('acme/alice', 'k2', 'h2', null, null);`,
  );
}

describe('infra/scripts db-backup.sh and db-restore.sh', () => {
  if (reason) {
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  const admin = serverUrl ?? '';
  let work: string;
  let dump: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'db-restore-'));
    psql(admin, `create role ${names.owner} nologin`);
    await createSource(admin, names.source);
    dump = join(work, 'where2eat.dump');
    const backup = run('bash', [BACKUP, urlOf(names.source), dump]);
    expect(backup.stderr).toBe('');
    expect(backup.status).toBe(0);
    expect(backup.stdout).toMatch(/^Wrote .*where2eat\.dump \(.+, \d+ archive entries\)$/m);
  });

  afterAll(() => {
    for (const database of [
      names.source,
      names.plain,
      names.target,
      names.drift,
      names.noMigrations,
    ]) {
      psql(admin, `drop database if exists ${database} with (force)`);
    }
    psql(admin, `drop role if exists ${names.owner}`);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('restores into a new database with every row, the migrations table and the given owner', () => {
    const restore = run('bash', [
      RESTORE,
      '--owner',
      names.owner,
      '--compare',
      urlOf(names.source),
      dump,
      urlOf(names.target),
    ]);
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    const target = urlOf(names.target);
    expect(counts(target)).toEqual({
      'public.groups': 3,
      'public.members': 6,
      'public.idempotency_keys': 2,
    });
    expect(counts(target)).toEqual(counts(urlOf(names.source)));
    expect(psql(target, 'select count(*) from drizzle.__drizzle_migrations')).toBe(
      String(MIGRATION_COUNT),
    );
    expect(
      psql(target, "select distinct tableowner from pg_tables where schemaname = 'public'"),
    ).toBe(names.owner);
    expect(
      psql(
        admin,
        `select pg_get_userbyid(datdba) from pg_database where datname = '${names.target}'`,
      ),
    ).toBe(names.owner);
    expect(restore.stdout).toContain(
      `migrations applied: ${MIGRATION_COUNT} (this checkout has ${MIGRATION_COUNT})`,
    );
    expect(restore.stdout).toMatch(/public\.members\s+6\s+6\n/);
    expect(restore.stdout).toContain(`Restored into ${names.target}.`);
    expect(restore.stdout).toContain('kubectl argo rollouts restart where2eat');
  });

  it('refuses a database that already exists and leaves it alone', () => {
    psql(
      urlOf(names.source),
      "insert into groups (tenant_id, owner_sub, name) values ('acme', 'bob', 'x')",
    );
    const before = counts(urlOf(names.source));
    const restore = run('bash', [RESTORE, dump, urlOf(names.source)]);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toContain(`database ${names.source} already exists`);
    expect(counts(urlOf(names.source))).toEqual(before);
    psql(urlOf(names.source), "delete from groups where owner_sub = 'bob'");
  });

  it('fails on a row count that differs from --compare and drops what it created', () => {
    psql(
      urlOf(names.source),
      "insert into groups (tenant_id, owner_sub, name) values ('acme', 'bob', 'late')",
    );
    const restore = run('bash', [
      RESTORE,
      '--compare',
      urlOf(names.source),
      dump,
      urlOf(names.drift),
    ]);
    psql(urlOf(names.source), "delete from groups where owner_sub = 'bob'");
    expect(restore.status).toBe(1);
    expect(restore.stdout).toMatch(/public\.groups\s+3\s+4\s+MISMATCH/);
    expect(restore.stderr).toContain('1 table(s) differ');
    expect(restore.stderr).toContain(`dropping ${names.drift}`);
    expect(databaseExists(names.drift)).toBe(false);
  });

  it('refuses a dump of a database that was never migrated, and drops what it created', () => {
    psql(admin, `create database ${names.plain}`);
    psql(urlOf(names.plain), 'create table notes (id int primary key)');
    const plainDump = join(work, 'plain.dump');
    expect(run('bash', [BACKUP, urlOf(names.plain), plainDump]).status).toBe(0);
    const restore = run('bash', [RESTORE, plainDump, urlOf(names.noMigrations)]);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toContain('no drizzle.__drizzle_migrations table');
    expect(databaseExists(names.noMigrations)).toBe(false);
  });

  it('refuses a file that is not a custom-format dump before touching the server', () => {
    const text = join(work, 'plain.sql');
    writeFileSync(text, 'create table x (id int);\n');
    const restore = run('bash', [RESTORE, text, urlOf(names.noMigrations)]);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toContain('is not a pg_dump custom-format archive');
    expect(databaseExists(names.noMigrations)).toBe(false);
  });

  it('rejects a target URL without a plain database name', () => {
    const restore = run('bash', [RESTORE, dump, urlOf('Bad-Name')]);
    expect(restore.status).toBe(1);
    expect(restore.stderr).toContain('must be lower-case letters, digits and _');
  });

  it('never overwrites an existing backup file', () => {
    const again = run('bash', [BACKUP, urlOf(names.source), dump]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
  });
});

// The chart's backup CronJob, drilled: the container's command, environment and scripts exactly
// as helm renders them (the scripts from its ConfigMap, its volume paths mapped to folders
// here), run against the source database; then its output restored into a new database, with
// the recovery point and time printed.
describe("the chart's scheduled backup, restored", () => {
  if (reason) {
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  const admin = serverUrl ?? '';
  const CHART = resolve(dir, '../helm/micro-app');
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects
  type Obj = any;

  beforeAll(() => createSource(admin, names.scheduledSource));
  afterAll(() => {
    for (const database of [names.scheduled, names.scheduledSource]) {
      psql(admin, `drop database if exists ${database} with (force)`);
    }
  });

  it('writes a dump, expires old ones, and the dump restores everything written before it', () => {
    const rendered = spawnSync(
      helmBinary(3),
      [
        'template',
        'r',
        CHART,
        '-f',
        resolve(dir, '../helm/values/where2eat.yaml'),
        '--set',
        'backup.enabled=true',
        '--set',
        'backup.retentionDays=7',
        '--set',
        'secrets.existingSecret=where2eat',
      ],
      { encoding: 'utf8' },
    );
    expect(rendered.status, rendered.stderr).toBe(0);
    const objects: Obj[] = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS())
      .filter(Boolean);
    const cron = objects.find((o) => o.kind === 'CronJob');
    const scripts = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-backup-scripts'),
    );
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toMatch(/^postgres:\d+/);

    // The pod's mounts, as folders here.
    const work = mkdtempSync(join(tmpdir(), 'db-backup-scheduled-'));
    const mounts: Record<string, string> = {};
    for (const mount of container.volumeMounts) {
      const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
      mounts[mount.mountPath] = join(work, mount.name);
      mkdirSync(mounts[mount.mountPath] as string);
      if (volume.configMap) {
        expect(volume.configMap.name).toBe(scripts.metadata.name);
        for (const [file, text] of Object.entries(scripts.data as Record<string, string>)) {
          writeFileSync(join(mounts[mount.mountPath] as string, file), text);
        }
      }
    }
    const local = (path: string) => {
      const root = Object.keys(mounts).find((m) => path === m || path.startsWith(`${m}/`));
      return root ? `${mounts[root]}${path.slice(root.length)}` : path;
    };
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const variable of container.env) {
      if (variable.name === 'DATABASE_URL') {
        expect(variable.valueFrom.secretKeyRef).toEqual({ name: 'where2eat', key: 'database-url' });
        env.DATABASE_URL = urlOf(names.scheduledSource);
      } else {
        env[variable.name] = local(variable.value);
      }
    }
    const backups = env.BACKUP_DIR as string;
    const old = join(backups, 'backup-20000101T000000Z.dump');
    writeFileSync(old, 'an old dump');
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(old, monthAgo, monthAgo);
    const recent = join(backups, 'backup-20000102T000000Z.dump');
    writeFileSync(recent, 'a dump of yesterday');

    try {
      const [command, ...args] = container.command as string[];
      const startedAt = Date.now();
      const backup = spawnSync(command as string, args.map(local), {
        encoding: 'utf8',
        env,
        timeout: 120_000,
      });
      const backupMs = Date.now() - startedAt;
      expect(backup.stderr).toBe('');
      expect(backup.status).toBe(0);
      expect(backup.stdout).toContain(`expired ${old}`);
      expect(backup.stdout).toContain('backups kept: 2');
      const dumps = readdirSync(backups).filter(
        (f) => f.endsWith('.dump') && f !== 'backup-20000102T000000Z.dump',
      );
      expect(dumps).toHaveLength(1);

      // Written after the backup: the recovery point says it is lost.
      psql(
        urlOf(names.scheduledSource),
        "insert into groups (tenant_id, owner_sub, name) values ('acme', 'alice', 'after the backup')",
      );
      const restoreStarted = Date.now();
      const restore = run('bash', [
        RESTORE,
        join(backups, dumps[0] as string),
        urlOf(names.scheduled),
      ]);
      const restoreMs = Date.now() - restoreStarted;
      expect(restore.stderr).toBe('');
      expect(restore.status).toBe(0);
      const target = urlOf(names.scheduled);
      expect(Number(psql(target, 'select count(*) from groups'))).toBe(3);
      expect(psql(target, "select count(*) from groups where name = 'after the backup'")).toBe('0');
      console.log(
        `backup drill: the scheduled backup took ${backupMs} ms, its restore (the RTO of this database) ${restoreMs} ms; RPO: the schedule "${cron.spec.schedule}" (up to 24 h) plus one backup, and the row written after the backup was not restored`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
