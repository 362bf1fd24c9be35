import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevIdp } from './dev-idp.js';
import { loadOrCreateTls } from './tls.js';

function getJson(url: string, ca?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    get(url, ca ? { ca } : {}, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

describe('dev IdP over HTTPS', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('creates a self-signed certificate once, for every host, and keeps it across starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dev-idp-tls-'));
    dirs.push(dir);
    const first = await loadOrCreateTls(dir, ['dev-idp', 'localhost', '127.0.0.1']);
    const cert = new x509.X509Certificate(first.cert);
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items;
    expect(names?.map((n) => `${n.type}:${n.value}`)).toEqual([
      'dns:dev-idp',
      'dns:localhost',
      'ip:127.0.0.1',
    ]);
    expect((await stat(join(dir, 'key.pem'))).mode & 0o777).toBe(0o640);
    const again = await loadOrCreateTls(dir, ['dev-idp', 'localhost']);
    expect(again.cert).toBe(first.cert);
    // A host the certificate does not name: a new certificate.
    const other = await loadOrCreateTls(dir, ['other-host']);
    expect(other.cert).not.toBe(first.cert);
    expect(await readFile(join(dir, 'cert.pem'), 'utf8')).toBe(other.cert);
  });

  it('serves discovery and tokens over HTTPS to a client that trusts the certificate only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dev-idp-tls-'));
    dirs.push(dir);
    const tls = await loadOrCreateTls(dir, ['localhost', '127.0.0.1']);
    const idp = await startDevIdp({ port: 0, host: '127.0.0.1', issuer: undefined, tls });
    try {
      expect(idp.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const discovery = await getJson(idp.discoveryUrl, tls.cert);
      expect(discovery.issuer).toBe(idp.issuer);
      expect(String(discovery.jwks_uri)).toMatch(/^https:/);
      const token = await idp.getUserToken('alice');
      expect(token.split('.')).toHaveLength(3);
      // Without the certificate among its CAs, a client refuses the connection.
      await expect(getJson(idp.discoveryUrl)).rejects.toThrow(/self-signed|certificate/i);
    } finally {
      await idp.close();
    }
  });
});
