import { createHash, randomBytes } from 'node:crypto';

/** A new bearer capability (an invite token, a session id): 32 random bytes, base64url (43 characters). */
export const randomToken = () => randomBytes(32).toString('base64url');

/** What is stored of such a token: its SHA-256, base64url, so a leaked table hands out nothing. */
export const sha256 = (token: string) =>
  createHash('sha256').update(token, 'utf8').digest('base64url');
