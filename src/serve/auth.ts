import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

export type Access = 'master' | 'admin' | 'search';

export interface ApiKey {
  name: string;
  description: string;
  key: string;
  uid: string;
  actions: string[];
  indexes: string[];
  expiresAt: null;
  createdAt: string;
  updatedAt: string;
}

/** A stable UUID-shaped uid from the master key: clients show it, and it must not change across restarts. */
function uidFor(masterKey: string, name: string): string {
  const h = createHmac('sha256', masterKey).update(`ruyi-key-uid:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const EPOCH = '2024-01-01T00:00:00Z';

/**
 * The two default keys Meilisearch creates, derived the way Meilisearch derives a key
 * from its uid (HMAC-SHA256 keyed by the master key): the same master key always gives
 * the same keys, and nothing but the master key has to be stored.
 */
export function defaultKeys(masterKey: string): ApiKey[] {
  const make = (name: string, description: string, actions: string[]): ApiKey => {
    const uid = uidFor(masterKey, name);
    return {
      name,
      description,
      key: createHmac('sha256', masterKey).update(uid).digest('hex'),
      uid,
      actions,
      indexes: ['*'],
      expiresAt: null,
      createdAt: EPOCH,
      updatedAt: EPOCH,
    };
  };
  return [
    make('Default Search API Key', 'Use it to search from the frontend', ['search']),
    make('Default Admin API Key', 'Use it for anything that is not a search operation. Caution! Do not expose it on a public frontend', [
      '*',
    ]),
  ];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks bearer tokens in constant time: digests of equal length are compared, never the raw strings. */
export class KeyChecker {
  private readonly digests: { access: Access; digest: Buffer }[];
  readonly keys: ApiKey[];

  constructor(masterKey: string) {
    this.keys = defaultKeys(masterKey);
    const [search, admin] = this.keys as [ApiKey, ApiKey];
    this.digests = [
      { access: 'master', digest: digest(masterKey) },
      { access: 'admin', digest: digest(admin.key) },
      { access: 'search', digest: digest(search.key) },
    ];
  }

  /** The access the request's Authorization header grants, or the 401/403 error. */
  check(header: string | undefined): Access {
    if (header === undefined || header.trim() === '')
      throw new ApiError(
        'missing_authorization_header',
        'The Authorization header is missing. It must use the bearer authorization method.',
      );
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) throw new ApiError('invalid_api_key', 'The provided API key is invalid.');
    const given = digest(match[1] as string);
    let found: Access | null = null;
    // Every digest is compared, so the time does not depend on which key matched.
    for (const { access, digest: d } of this.digests) if (timingSafeEqual(given, d) && found === null) found = access;
    if (found === null) throw new ApiError('invalid_api_key', 'The provided API key is invalid.');
    return found;
  }
}

/** What each access may call: the search key only searches; /keys needs the master key, as in Meilisearch. */
export function permits(access: Access | null, route: { action: 'search' | 'keys' | 'other' }): boolean {
  if (access === null || access === 'master') return true;
  if (route.action === 'keys') return false;
  if (access === 'admin') return true;
  return route.action === 'search';
}
