import { createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A private signing key as a JWK, with `kid`, `alg` and `use`. */
export type SigningJwk = JsonWebKey & { kid: string; alg: 'ES256' | 'RS256'; use: 'sig' };

/** RFC 7638 thumbprint: a stable `kid` derived from the public key. */
function thumbprint(jwk: JsonWebKey): string {
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Generates a private signing key: ES256 for access tokens, RS256 for ID tokens. */
export function generateSigningKey(alg: 'ES256' | 'RS256' = 'ES256'): SigningJwk {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg, use: 'sig' };
}

/** A fresh key set: one ES256 key (access tokens) and one RS256 key (ID tokens). */
export function generateKeySet(): SigningJwk[] {
  return [generateSigningKey('ES256'), generateSigningKey('RS256')];
}

/**
 * Reads the key set from `file`, or generates one and writes it there (mode 600), so tokens
 * stay valid across restarts in development. Keep the file out of version control.
 */
export async function loadOrCreateKeySet(file: string): Promise<SigningJwk[]> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { keys?: SigningJwk[] };
    if (Array.isArray(parsed.keys) && parsed.keys.length > 0) return parsed.keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const keys = generateKeySet();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
