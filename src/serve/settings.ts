import { z } from 'zod';
import { ApiError } from './errors.js';

/** The settings an index has; the ruyi-specific ones are `pinyin`, `traditional` and `titleAttribute`. */
export interface IndexSettings {
  searchableAttributes: string[];
  filterableAttributes: string[];
  sortableAttributes: string[];
  displayedAttributes: string[];
  stopWords: string[];
  synonyms: Record<string, string[]>;
  /** The attribute ranked as the title (weight 3); null: the first of title, name, subject present. */
  titleAttribute: string | null;
  pinyin: boolean;
  traditional: boolean;
}

export const DEFAULT_SETTINGS: IndexSettings = {
  searchableAttributes: ['*'],
  filterableAttributes: [],
  sortableAttributes: [],
  displayedAttributes: ['*'],
  stopWords: [],
  synonyms: {},
  titleAttribute: null,
  pinyin: false,
  traditional: false,
};

const attrs = z.array(z.string().min(1).max(512)).max(1000);
// Meilisearch's filterableAttributes may also be objects ({ attributePatterns, features }); only the names matter here.
const filterable = z
  .array(z.union([z.string().min(1).max(512), z.object({ attributePatterns: z.array(z.string().min(1).max(512)) }).loose()]))
  .max(1000)
  .transform((items) => items.flatMap((i) => (typeof i === 'string' ? [i] : i.attributePatterns)));

/** PATCH /settings: every key optional; null resets it to the default, as in Meilisearch. */
export const settingsPatchSchema = z.strictObject({
  searchableAttributes: attrs.nullable().optional(),
  filterableAttributes: filterable.nullable().optional(),
  sortableAttributes: attrs.nullable().optional(),
  displayedAttributes: attrs.nullable().optional(),
  stopWords: z.array(z.string().max(512)).max(10_000).nullable().optional(),
  synonyms: z
    .record(z.string().min(1).max(512), z.array(z.string().min(1).max(512)).max(100))
    .nullable()
    .optional(),
  titleAttribute: z.string().min(1).max(512).nullable().optional(),
  pinyin: z.boolean().nullable().optional(),
  traditional: z.boolean().nullable().optional(),
});

export type SettingsPatch = z.output<typeof settingsPatchSchema>;

/** The per-setting routes (/indexes/:uid/settings/<name>) and the key each one sets. */
export const SETTING_ROUTES: Record<string, keyof IndexSettings> = {
  'searchable-attributes': 'searchableAttributes',
  'filterable-attributes': 'filterableAttributes',
  'sortable-attributes': 'sortableAttributes',
  'displayed-attributes': 'displayedAttributes',
  'stop-words': 'stopWords',
  synonyms: 'synonyms',
  'title-attribute': 'titleAttribute',
  pinyin: 'pinyin',
  traditional: 'traditional',
};

export function parseSettingsPatch(body: unknown): SettingsPatch {
  const parsed = settingsPatchSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(body)';
    const message =
      issue?.code === 'unrecognized_keys'
        ? `Unknown or unsupported setting(s): ${issue.keys.join(', ')}. Supported: ${Object.keys(DEFAULT_SETTINGS).join(', ')}.`
        : `Invalid value at \`${where}\`: ${issue?.message}`;
    throw new ApiError('invalid_settings', message);
  }
  return parsed.data;
}

export function applyPatch(current: IndexSettings, patch: SettingsPatch): IndexSettings {
  const next: IndexSettings = { ...current };
  for (const key of Object.keys(patch) as (keyof SettingsPatch)[]) {
    const value = patch[key];
    if (value === undefined) continue;
    (next as unknown as Record<string, unknown>)[key] = value === null ? DEFAULT_SETTINGS[key] : value;
  }
  return next;
}

/** What GET /settings answers: ours, plus fixed values of the Meilisearch settings clients read. */
export function publicSettings(s: IndexSettings): Record<string, unknown> {
  return {
    displayedAttributes: s.displayedAttributes,
    searchableAttributes: s.searchableAttributes,
    filterableAttributes: s.filterableAttributes,
    sortableAttributes: s.sortableAttributes,
    rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
    stopWords: s.stopWords,
    synonyms: s.synonyms,
    distinctAttribute: null,
    titleAttribute: s.titleAttribute,
    pinyin: s.pinyin,
    traditional: s.traditional,
  };
}

/** True when a change needs the index rebuilt from the stored documents. */
export function needsRebuild(before: IndexSettings, after: IndexSettings): boolean {
  return (
    before.pinyin !== after.pinyin ||
    before.traditional !== after.traditional ||
    before.titleAttribute !== after.titleAttribute ||
    JSON.stringify(before.searchableAttributes) !== JSON.stringify(after.searchableAttributes)
  );
}
