export { audit } from './audit/index.js';
export type { ClientCredentials, ClientCredentialsOptions } from './client-credentials/index.js';
export { clientCredentials } from './client-credentials/index.js';
export type { AuthErrorCode } from './errors.js';
export { AuthError } from './errors.js';
export type { JwtAuthOptions } from './jwt-auth/index.js';
export { DEFAULT_ALGORITHMS, jwtAuth } from './jwt-auth/index.js';
export { requireRole, requireScope } from './rbac/index.js';
export type { AuthLogger, AuthVariables, ClaimPath, Principal } from './types.js';
