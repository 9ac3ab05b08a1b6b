import type { Reply } from '../router.js';
import type { Task } from '../task-log.js';

/** The 202 answer to every write, as Meilisearch gives it (a summarized task). */
export function accepted(task: Task): Reply {
  return {
    status: 202,
    body: { taskUid: task.uid, indexUid: task.indexUid, status: task.status, type: task.type, enqueuedAt: task.enqueuedAt },
  };
}

/** Integer query parameter, or the given error code for a malformed one. */
export function intParam(url: URL, name: string, fallback: number, fail: (message: string) => never): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || raw.trim() === '')
    fail(`Invalid value in parameter \`${name}\`: could not parse \`${raw.slice(0, 50)}\` as a positive integer`);
  return n;
}
