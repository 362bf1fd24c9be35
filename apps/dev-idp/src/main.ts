import { loadConfig } from './config.js';
import { startDevIdp } from './dev-idp.js';
import { loadOrCreateKeySet } from './keys.js';
import { loadOrCreateTls } from './tls.js';

function log(fields: object, msg: string): void {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), ...fields, msg })}\n`);
}

const config = loadConfig();
const keys = config.keysFile ? await loadOrCreateKeySet(config.keysFile) : undefined;
const tls = config.tlsDir
  ? await loadOrCreateTls(config.tlsDir, [
      ...new Set([
        new URL(config.issuer ?? 'https://localhost').hostname,
        'localhost',
        '127.0.0.1',
      ]),
    ])
  : undefined;
const idp = await startDevIdp({
  port: config.port,
  host: config.host,
  ...(config.issuer ? { issuer: config.issuer } : {}),
  audience: config.audience,
  extraAudiences: config.extraAudiences,
  scopes: config.scopes,
  ...(keys ? { keys } : {}),
  ...(tls ? { tls } : {}),
});
log(
  {
    issuer: idp.issuer,
    discovery: idp.discoveryUrl,
    jwks: idp.jwksUri,
    token: idp.tokenEndpoint,
    audience: idp.audience,
    listen: `${config.host}:${idp.port}`,
  },
  'dev IdP listening (DEVELOPMENT ONLY: seeded users, password grant enabled)',
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    idp.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
