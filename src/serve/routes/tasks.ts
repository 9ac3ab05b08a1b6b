import { ApiError, type ErrorCode } from '../errors.js';
import type { Route } from '../router.js';
import { publicTask, TASK_STATUSES, TASK_TYPES, type Task } from '../task-log.js';
import { intParam } from './task-reply.js';

function list(url: URL, name: string): string[] | null {
  const raw = url.searchParams.get(name);
  if (raw === null || raw.trim() === '' || raw.trim() === '*') return null;
  return raw.split(',').map((s) => s.trim());
}

function failWith(code: ErrorCode) {
  return (message: string): never => {
    throw new ApiError(code, message);
  };
}

export const taskRoutes: Route[] = [
  {
    method: 'GET',
    path: '/tasks',
    action: 'other',
    handle: ({ app, url }) => {
      const limit = intParam(url, 'limit', 20, failWith('invalid_task_limit'));
      const from = url.searchParams.has('from') ? intParam(url, 'from', 0, failWith('invalid_task_from')) : null;
      const statuses = list(url, 'statuses');
      const bad = statuses?.find((s) => !(TASK_STATUSES as string[]).includes(s));
      if (bad !== undefined)
        throw new ApiError(
          'invalid_task_statuses',
          `\`${bad}\` is not a valid task status. Available statuses are ${TASK_STATUSES.join(', ')}.`,
        );
      const types = list(url, 'types');
      const badType = types?.find((s) => !(TASK_TYPES as string[]).includes(s));
      if (badType !== undefined)
        throw new ApiError('invalid_task_types', `\`${badType}\` is not a valid task type. Available types are ${TASK_TYPES.join(', ')}.`);
      const indexUids = list(url, 'indexUids');
      const uids = list(url, 'uids')?.map(Number) ?? null;
      if (uids?.some((u) => !Number.isSafeInteger(u))) throw new ApiError('invalid_task_uids', 'Task uids must be integers.');
      const reverse = url.searchParams.get('reverse') === 'true';
      const keep = (t: Task): boolean =>
        (statuses === null || statuses.includes(t.status)) &&
        (types === null || types.includes(t.type)) &&
        (indexUids === null || (t.indexUid !== null && indexUids.includes(t.indexUid))) &&
        (uids === null || uids.includes(t.uid));
      let all = app.registry.tasks.all().filter(keep);
      if (reverse) all = all.reverse();
      const start = from === null ? all : all.filter((t) => (reverse ? t.uid >= from : t.uid <= from));
      const page = start.slice(0, limit);
      const next = start[limit]?.uid ?? null;
      return { status: 200, body: { results: page.map(publicTask), total: all.length, limit, from: page[0]?.uid ?? null, next } };
    },
  },
  {
    method: 'GET',
    path: '/tasks/:taskUid',
    action: 'other',
    handle: ({ app, params }) => {
      const raw = params.taskUid as string;
      const uid = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(uid))
        throw new ApiError('invalid_task_uids', `Invalid task uid \`${raw.slice(0, 50)}\`: expected an integer.`);
      const task = app.registry.tasks.get(uid);
      if (task === undefined) throw new ApiError('task_not_found', `Task \`${uid}\` not found.`);
      return { status: 200, body: publicTask(task) };
    },
  },
];
