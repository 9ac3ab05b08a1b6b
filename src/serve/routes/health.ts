import type { Route } from '../router.js';
import { indexStats } from './index-stats.js';

const VERSION = { pkgVersion: '1.12.0', commitSha: 'ruyi', commitDate: '2026-01-01T00:00:00Z' };

export const healthRoutes: Route[] = [
  { method: 'GET', path: '/health', action: 'public', handle: () => ({ status: 200, body: { status: 'available' } }) },
  {
    method: 'GET',
    path: '/version',
    action: 'other',
    // The version a Meilisearch client checks features against; ruyi speaks a subset of this one.
    handle: () => ({ status: 200, body: { ...VERSION, ruyi: '0.1.0' } }),
  },
  {
    method: 'GET',
    path: '/stats',
    action: 'other',
    handle: async ({ app }) => {
      const indexes: Record<string, unknown> = {};
      let databaseSize = 0;
      let lastUpdate: string | null = null;
      for (const r of app.registry.list()) {
        const s = await indexStats(app, r.uid);
        indexes[r.uid] = s;
        databaseSize += s.rawDocumentDbSize;
        if (lastUpdate === null || r.updatedAt > lastUpdate) lastUpdate = r.updatedAt;
      }
      return { status: 200, body: { databaseSize, usedDatabaseSize: databaseSize, lastUpdate, indexes } };
    },
  },
  {
    method: 'GET',
    path: '/indexes/:uid/stats',
    action: 'other',
    handle: async ({ app, params }) => ({ status: 200, body: await indexStats(app, params.uid as string) }),
  },
];
