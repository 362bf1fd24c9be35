import { webcrypto } from 'node:crypto';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** A PEM certificate and its PKCS#8 PEM private key. */
export interface TlsFiles {
  cert: string;
  key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * A self-signed ECDSA P-256 certificate for `hostnames` (DNS names or IP addresses), valid for
 * `days`. It is its own trust anchor: a client trusts it by adding `cert` to its CAs (Node:
 * `NODE_EXTRA_CA_CERTS=cert.pem`). For development stacks only.
 *
 * @throws {RangeError} when no hostname is given
 */
export async function createSelfSignedTls(hostnames: string[], days = 365): Promise<TlsFiles> {
  if (hostnames.length === 0) throw new RangeError('createSelfSignedTls: name at least one host');
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: `CN=${hostnames[0]}, O=micro-app dev IdP (development only)`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * 86_400_000),
    keys: keys as unknown as Parameters<
      typeof x509.X509CertificateGenerator.createSelfSigned
    >[0]['keys'],
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hostnames.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value })),
      ),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key: `${key}\n` };
}

/** Whether the PEM certificate names every one of `hostnames` and is valid for another day. */
function covers(pem: string, hostnames: string[]): boolean {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = new Set(san?.names.items.map((n) => n.value) ?? []);
  return hostnames.every((h) => names.has(h)) && cert.notAfter.getTime() > Date.now() + 86_400_000;
}

/**
 * Reads `cert.pem` and `key.pem` from `dir`, or creates them (see {@link createSelfSignedTls})
 * when missing, expiring, or not naming every host. With `owner`, the files are given to that
 * uid/gid (a root init container preparing them for a non-root server); the key is 0640.
 */
export async function loadOrCreateTls(
  dir: string,
  hostnames: string[],
  owner?: { uid: number; gid: number },
): Promise<TlsFiles> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    const existing = {
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
    };
    if (covers(existing.cert, hostnames)) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const files = await createSelfSignedTls(hostnames);
  await mkdir(dir, { recursive: true });
  await writeFile(keyFile, files.key, { mode: 0o640 });
  await writeFile(certFile, files.cert, { mode: 0o644 });
  if (owner) {
    for (const file of [keyFile, certFile]) await chown(file, owner.uid, owner.gid);
  }
  return files;
}
