export type { DevIdp, DevIdpOptions, DevTokenOptions } from './dev-idp.js';
export { startDevIdp } from './dev-idp.js';
export type { DevIdpErrorCode } from './errors.js';
export { DevIdpError } from './errors.js';
export type { SigningJwk } from './keys.js';
export { generateKeySet, loadOrCreateKeySet } from './keys.js';
export { resourceIndicatorFor } from './provider.js';
export type { TlsFiles } from './tls.js';
export { createSelfSignedTls, loadOrCreateTls } from './tls.js';
export type { DevClient, DevUser } from './users.js';
export {
  DEFAULT_CLIENTS,
  DEFAULT_USERS,
  DEV_CLI_CLIENT_ID,
  SERVICE_CLIENT_ID,
  SERVICE_CLIENT_SECRET,
  WEB_CLIENT_ID,
  WEB_CLIENT_SECRET,
  WHERE2EAT_READ_SCOPES,
  WHERE2EAT_SCOPES,
} from './users.js';
