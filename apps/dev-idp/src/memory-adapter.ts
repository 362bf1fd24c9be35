import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAtMs: number | undefined;
}

/**
 * Storage for one dev IdP: a map per instance (so IdPs started by parallel tests never share
 * state) that survives a key rotation. Entries expire lazily.
 */
export function memoryAdapter(): AdapterFactory {
  const entries = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const lookups = new Map<string, string>();

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    const live = (storeKey: string): AdapterPayload | undefined => {
      const entry = entries.get(storeKey);
      if (entry === undefined) return undefined;
      if (entry.expiresAtMs !== undefined && Date.now() >= entry.expiresAtMs) {
        entries.delete(storeKey);
        return undefined;
      }
      return structuredClone(entry.payload);
    };
    return {
      async upsert(id, payload, expiresIn) {
        const storeKey = key(id);
        entries.set(storeKey, {
          payload: structuredClone(payload),
          expiresAtMs: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
        });
        if (payload.grantId) {
          const keys = byGrant.get(payload.grantId) ?? new Set<string>();
          keys.add(storeKey);
          byGrant.set(payload.grantId, keys);
        }
        if (payload.uid) lookups.set(`${model}:uid:${payload.uid}`, storeKey);
        if (payload.userCode) lookups.set(`${model}:userCode:${payload.userCode}`, storeKey);
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        const storeKey = lookups.get(`${model}:uid:${uid}`);
        return storeKey ? live(storeKey) : undefined;
      },
      async findByUserCode(userCode) {
        const storeKey = lookups.get(`${model}:userCode:${userCode}`);
        return storeKey ? live(storeKey) : undefined;
      },
      async consume(id) {
        const entry = entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const storeKey of byGrant.get(grantId) ?? []) entries.delete(storeKey);
        byGrant.delete(grantId);
      },
    };
  };
}
