import { ApiError } from '../errors.js';
import { checkUid } from '../registry.js';
import type { RequestContext, Route } from '../router.js';
import { DEFAULT_SETTINGS, parseSettingsPatch, publicSettings, SETTING_ROUTES, type SettingsPatch } from '../settings.js';
import { jsonBody } from './indexes.js';
import { accepted } from './task-reply.js';

function enqueue(ctx: RequestContext, patch: SettingsPatch) {
  const uid = ctx.params.uid as string;
  checkUid(uid);
  return accepted(
    ctx.app.registry.enqueue({ indexUid: uid, type: 'settingsUpdate', details: { ...patch }, payload: { kind: 'settings', patch } }),
  );
}

function settingName(ctx: RequestContext) {
  const key = SETTING_ROUTES[ctx.params.name as string];
  if (key === undefined)
    throw new ApiError(
      'not_found',
      `The setting \`${ctx.params.name}\` is not supported. Supported: ${Object.keys(SETTING_ROUTES).join(', ')}.`,
    );
  return key;
}

function current(ctx: RequestContext) {
  return ctx.app.registry.record(ctx.params.uid as string)?.settings ?? DEFAULT_SETTINGS;
}

export const settingsRoutes: Route[] = [
  {
    method: 'GET',
    path: '/indexes/:uid/settings',
    action: 'other',
    handle: (ctx) => {
      ctx.app.registry.require(ctx.params.uid as string);
      return { status: 200, body: publicSettings(current(ctx)) };
    },
  },
  {
    method: 'PATCH',
    path: '/indexes/:uid/settings',
    action: 'other',
    handle: async (ctx) => enqueue(ctx, parseSettingsPatch(await jsonBody(ctx))),
  },
  {
    method: 'DELETE',
    path: '/indexes/:uid/settings',
    action: 'other',
    handle: (ctx) => enqueue(ctx, Object.fromEntries(Object.keys(DEFAULT_SETTINGS).map((k) => [k, null])) as SettingsPatch),
  },
  {
    method: 'GET',
    path: '/indexes/:uid/settings/:name',
    action: 'other',
    handle: (ctx) => {
      const key = settingName(ctx);
      ctx.app.registry.require(ctx.params.uid as string);
      return { status: 200, body: current(ctx)[key] };
    },
  },
  ...(['PUT', 'PATCH'] as const).map(
    (method): Route => ({
      method,
      path: '/indexes/:uid/settings/:name',
      action: 'other',
      handle: async (ctx) => {
        const key = settingName(ctx);
        return enqueue(ctx, parseSettingsPatch({ [key]: await jsonBody(ctx) }));
      },
    }),
  ),
  {
    method: 'DELETE',
    path: '/indexes/:uid/settings/:name',
    action: 'other',
    handle: (ctx) => enqueue(ctx, { [settingName(ctx)]: null } as SettingsPatch),
  },
];
