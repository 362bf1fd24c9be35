import { WHERE2EAT_SCOPES } from './users.js';

/** Settings of the dev IdP process, parsed from the environment. */
export interface DevIdpConfig {
  /** `PORT`: TCP port. Default: 4000. */
  port: number;
  /** `HOST`: interface to listen on. Default: 127.0.0.1 (set 0.0.0.0 inside a container). */
  host: string;
  /** `ISSUER`: issuer URL in tokens and discovery. Default: `http://localhost:<PORT>` (with `PORT=0`: the picked port on `HOST`). */
  issuer: string | undefined;
  /** `AUDIENCE`: `aud` of access tokens. Default: `where2eat`. */
  audience: string;
  /** `EXTRA_AUDIENCES`: comma-separated audiences for other services. Default: none. */
  extraAudiences: string[];
  /** `SCOPES`: space-separated resource scopes. Default: `cuisines:read groups:read groups:write`. */
  scopes: string[];
  /** `KEYS_FILE`: where signing keys persist across restarts (git-ignored). Default: `.data/keys.json`; `none` generates keys in memory each start. */
  keysFile: string | undefined;
  /**
   * `TLS_DIR`: serve HTTPS with `cert.pem` and `key.pem` from this folder, created self-signed
   * for the issuer's host, `localhost` and `127.0.0.1` when missing. Default: plain HTTP.
   */
  tlsDir: string | undefined;
}

/**
 * Parses the environment, failing with one message that names every invalid variable.
 *
 * @throws {Error} listing each invalid variable
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DevIdpConfig {
  const problems: string[] = [];
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`PORT must be an integer 0-65535, got "${env.PORT}"`);
  }
  const issuer = env.ISSUER ?? (port === 0 ? undefined : `http://localhost:${port}`);
  const parsed = issuer === undefined ? undefined : URL.parse(issuer);
  if (
    parsed === null ||
    (parsed !== undefined &&
      ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
        parsed.pathname !== '/' ||
        parsed.search ||
        parsed.hash))
  ) {
    problems.push(`ISSUER must be an http(s) origin without path, got "${issuer}"`);
  }
  const audience = env.AUDIENCE ?? 'where2eat';
  if (audience.trim() === '') problems.push('AUDIENCE must not be empty');
  const scopes = (env.SCOPES ?? WHERE2EAT_SCOPES.join(' ')).split(' ').filter(Boolean);
  if (scopes.length === 0) problems.push('SCOPES must name at least one scope');
  if (problems.length > 0) {
    throw new Error(`Invalid dev IdP configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const keysFile = env.KEYS_FILE ?? '.data/keys.json';
  const tlsDir = env.TLS_DIR || undefined;
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    issuer: issuer?.replace(/\/$/, ''),
    audience: audience.trim(),
    extraAudiences: (env.EXTRA_AUDIENCES ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    scopes,
    keysFile: keysFile === 'none' ? undefined : keysFile,
    tlsDir,
  };
}
