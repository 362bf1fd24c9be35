import type { JWTPayload } from 'jose';
import type { ClaimPath, Principal } from '../types.js';

/** Reads a claim by top-level name or by a path into nested objects. */
export function claimAt(payload: JWTPayload, path: ClaimPath): unknown {
  if (typeof path === 'string') return payload[path];
  let value: unknown = payload;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A claim holding a list: a JSON array of strings, or one space-separated string. */
function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((item) => item.length > 0);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value.length > 0) return value;
  return undefined;
}

export interface ClaimMapping {
  tenantClaim: ClaimPath;
  rolesClaim: ClaimPath;
  scopeClaims: readonly ClaimPath[];
}

/** Builds the frozen principal from verified claims; `sub` is required by the verifier. */
export function toPrincipal(payload: JWTPayload, mapping: ClaimMapping): Principal {
  const scopes = new Set<string>();
  for (const path of mapping.scopeClaims) {
    for (const scope of stringList(claimAt(payload, path))) scopes.add(scope);
  }
  const tenant = claimAt(payload, mapping.tenantClaim);
  return Object.freeze({
    sub: payload.sub as string,
    tenant: typeof tenant === 'string' && tenant.length > 0 ? tenant : undefined,
    roles: Object.freeze(stringList(claimAt(payload, mapping.rolesClaim))),
    scopes: Object.freeze([...scopes]),
    clientId: firstString(payload.client_id, payload.azp, payload.appid, payload.cid),
    claims: Object.freeze(payload),
  });
}
