import { loadOrCreateTls } from './tls.js';

// Prepares the dev IdP's self-signed certificate in a shared folder (the compose stack's
// one-shot `dev-idp-tls` service):  node dist/tls-cli.js <dir> <uid:gid> <host> [host…]
const [dir, owner, ...hostnames] = process.argv.slice(2);
const match = /^(\d+):(\d+)$/.exec(owner ?? '');
if (!dir || !match || hostnames.length === 0) {
  process.stderr.write('usage: tls-cli <dir> <uid:gid> <host> [host…]\n');
  process.exit(2);
}
await loadOrCreateTls(dir, hostnames, { uid: Number(match[1]), gid: Number(match[2]) });
process.stdout.write(
  `${JSON.stringify({ msg: 'dev IdP TLS certificate ready', dir, hostnames })}\n`,
);
