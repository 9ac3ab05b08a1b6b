import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseBytes } from '../config.js';
import { EngineError } from '../errors.js';

/*
 * Where the CLI's options come from, highest first: command-line flags, then RUYI_*
 * environment variables, then a config file (--config, or RUYI_CONFIG), then the defaults.
 * A setting given at a higher level replaces the lower ones whole.
 */

const size = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  try {
    return parseBytes(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^ruyi: /, '') });
    return z.NEVER;
  }
});

const fieldsSchema = z.strictObject({
  id: z.string().min(1).optional(),
  title: z.string().min(1).optional(),
  body: z.string().min(1).optional(),
  tags: z.string().min(1).optional(),
  date: z.string().min(1).optional(),
});

/** The settings a config file may hold (ruyi.config.json). */
export const settingsSchema = z.strictObject({
  db: z.string().min(1).optional(),
  threads: z.number().int().min(1).max(64).optional(),
  shards: z.number().int().min(1).max(256).optional(),
  maxMemory: size.optional(),
  maxDocBytes: size.optional(),
  truncate: z.boolean().optional(),
  format: z.enum(['auto', 'ndjson', 'json', 'csv', 'markdown', 'html', 'txt']).optional(),
  fields: fieldsSchema.optional(),
  html: z.boolean().optional(),
  pinyin: z.boolean().optional(),
  traditional: z.boolean().optional(),
  maxErrors: z.number().int().min(0).optional(),
  strict: z.boolean().optional(),
  quiet: z.boolean().optional(),
  /** `ruyi serve`: the master key (at least 16 bytes; checked by the server). */
  masterKey: z.string().min(1).optional(),
});

export type Settings = z.output<typeof settingsSchema>;

/** Environment variables and the setting each one gives. */
export const ENV_SETTINGS = {
  RUYI_DB: 'db',
  RUYI_THREADS: 'threads',
  RUYI_SHARDS: 'shards',
  RUYI_MAX_MEMORY: 'maxMemory',
  RUYI_MAX_DOC_BYTES: 'maxDocBytes',
  RUYI_MAX_ERRORS: 'maxErrors',
  RUYI_MASTER_KEY: 'masterKey',
} as const satisfies Record<string, keyof Settings>;

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
}

export function readConfigFile(file: string): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EngineError('E_CONFIG', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw new EngineError('E_CONFIG', `config file ${file}: ${describe(parsed.error)}`);
  return parsed.data;
}

export function readEnvSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    raw[key] = key === 'db' || key === 'maxMemory' || key === 'maxDocBytes' || key === 'masterKey' ? value : Number(value);
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw new EngineError('E_CONFIG', `environment: ${describe(parsed.error).replace(/^(\w+)/, (k) => envName(k))}`);
  return parsed.data;
}

function envName(key: string): string {
  return Object.entries(ENV_SETTINGS).find(([, k]) => k === key)?.[0] ?? key;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Merges flags over environment over config file. `flags` holds only what was given on the
 * command line (undefined for the rest).
 */
export function resolveSettings(flags: Settings & { config?: string }, env: NodeJS.ProcessEnv = process.env): Settings {
  const configFile = flags.config ?? env.RUYI_CONFIG;
  const fromFile = configFile === undefined || configFile === '' ? {} : readConfigFile(configFile);
  const { config: _config, ...rest } = flags;
  return { ...defined(fromFile), ...defined(readEnvSettings(env)), ...defined(rest) };
}

/** The index directory, which may come from any level but must come from one. */
export function requireDb(settings: Settings): string {
  if (settings.db === undefined)
    throw new EngineError('E_CONFIG', 'no index directory: give --db <dir> (or RUYI_DB, or "db" in the config file)');
  return settings.db;
}
