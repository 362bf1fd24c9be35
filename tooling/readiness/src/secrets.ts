import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { runSecretLint } from 'secretlint';
import { fail, pass } from './result.js';
import type { AppInfo, CheckResult } from './types.js';

interface SecretlintMessage {
  message: string;
  ruleId: string;
  loc?: { start?: { line?: number } };
}

interface SecretlintFileResult {
  filePath: string;
  messages: SecretlintMessage[];
}

/**
 * No secret in the tree: secretlint, with the repository's `.secretlintrc.json` and
 * `.secretlintignore`, over every file of the app folder. Findings are reported masked.
 */
export async function checkSecrets(app: AppInfo, root: string): Promise<CheckResult> {
  const config = join(root, '.secretlintrc.json');
  if (!existsSync(config)) return fail('secrets', 'no .secretlintrc.json at the repository root');
  const ignore = join(root, '.secretlintignore');
  const { exitStatus, stdout, stderr } = await runSecretLint({
    cliOptions: {
      cwd: root,
      filePathOrGlobList: [`${app.relDir}/**/*`],
      ...(existsSync(ignore) ? { ignoreFilePath: ignore } : {}),
    },
    engineOptions: {
      cwd: root,
      configFilePath: config,
      formatter: 'json',
      color: false,
      maskSecrets: true,
    },
  });
  if (stderr) return fail('secrets', `secretlint failed: ${stderr.message}`);
  let results: SecretlintFileResult[];
  try {
    results = JSON.parse(stdout ?? '[]') as SecretlintFileResult[];
  } catch {
    return fail('secrets', `secretlint printed no JSON (exit ${exitStatus})`);
  }
  const findings = results.flatMap((r) =>
    r.messages.map((m) => ({
      file: relative(root, r.filePath).split(sep).join('/'),
      line: m.loc?.start?.line,
      message: m.message,
    })),
  );
  const first = findings[0];
  if (first) {
    const list = findings.map((f) => `${f.file}:${f.line ?? '?'} ${f.message}`).join('; ');
    return fail('secrets', `${findings.length} finding(s): ${list}`, first.file, first.line);
  }
  if (exitStatus !== 0) return fail('secrets', `secretlint exited ${exitStatus}`);
  return pass('secrets', `secretlint: ${results.length} files clean`);
}
