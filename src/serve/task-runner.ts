import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openIndex, rebuildIndex } from '../index.js';
import { DocStore } from './doc-store.js';
import { ApiError } from './errors.js';
import type { JsonObject } from './filter-eval.js';
import { matchesFilter } from './filter-eval.js';
import { parseFilter } from './filter-parser.js';
import { documentId, inferPrimaryKey, toRuyiDoc } from './mapping.js';
import type { IndexRecord, Registry } from './registry.js';
import { applyPatch, type IndexSettings, needsRebuild, type SettingsPatch } from './settings.js';
import type { Task } from './task-log.js';

/** What each kind of task carries in its payload, so that it can run again after a restart. */
export type TaskPayload =
  | { kind: 'createIndex'; primaryKey: string | null }
  | { kind: 'updateIndex'; primaryKey: string | null }
  | { kind: 'deleteIndex' }
  | { kind: 'documents'; file: string; method: 'replace' | 'update'; primaryKey: string | null }
  | { kind: 'deleteDocuments'; ids?: string[]; all?: boolean; filter?: unknown }
  | { kind: 'settings'; patch: SettingsPatch };

/** Reads an upload spooled as one JSON document per line. */
async function* spooled(registry: Registry, file: string): AsyncGenerator<JsonObject> {
  const lines = createInterface({ input: createReadStream(join(registry.spoolDir, file)), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line !== '') yield JSON.parse(line) as JsonObject;
}

function now(): string {
  return new Date().toISOString();
}

function createRecord(registry: Registry, uid: string, primaryKey: string | null): IndexRecord {
  const r: IndexRecord = {
    uid,
    primaryKey,
    createdAt: now(),
    updatedAt: now(),
    settings: registry.record(uid)?.settings ?? defaultSettings(),
  };
  registry.saveRecord(r);
  return r;
}

function defaultSettings(): IndexSettings {
  return {
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
}

async function addDocuments(task: Task, registry: Registry, p: Extract<TaskPayload, { kind: 'documents' }>) {
  const uid = task.indexUid as string;
  let record = registry.record(uid) ?? createRecord(registry, uid, null);
  if (p.primaryKey !== null && record.primaryKey !== null && p.primaryKey !== record.primaryKey)
    throw new ApiError('index_primary_key_already_exists', `Index \`${uid}\`: primary key already exists as \`${record.primaryKey}\`.`);
  // First pass: every document must have a valid id before any is written, so that a bad
  // upload fails whole, as in Meilisearch.
  let primaryKey = record.primaryKey ?? p.primaryKey;
  let received = 0;
  for await (const doc of spooled(registry, p.file)) {
    if (primaryKey === null) primaryKey = inferPrimaryKey(doc);
    documentId(doc, primaryKey);
    received++;
  }
  if (primaryKey === null) return { receivedDocuments: 0, indexedDocuments: 0 };
  if (record.primaryKey === null) {
    record = { ...record, primaryKey, updatedAt: now() };
    registry.saveRecord(record);
  }
  const { ruyi, docs } = await registry.open(uid);
  const settings = record.settings;
  const pk = primaryKey;
  let written = 0;
  for await (const doc of spooled(registry, p.file)) {
    const id = documentId(doc, pk);
    const merged = p.method === 'update' ? { ...(docs.get(id) ?? {}), ...doc } : doc;
    await ruyi.add(toRuyiDoc(id, merged, pk, settings));
    // Awaited now and then only: lmdb-js commits queued puts together, and this bounds the queue.
    const put = docs.put(id, merged);
    if (++written % 1000 === 0) await put;
  }
  const report = await ruyi.flush();
  await docs.settle();
  if (report.failedCount > 0) {
    const first = report.failed[0];
    throw new ApiError(
      'invalid_document_fields',
      `${report.failedCount} document(s) could not be indexed; first: ${first?.id}: ${first?.reason ?? 'unknown reason'}`,
    );
  }
  registry.saveRecord({ ...record, updatedAt: now() });
  return { receivedDocuments: received, indexedDocuments: received };
}

async function deleteDocuments(task: Task, registry: Registry, p: Extract<TaskPayload, { kind: 'deleteDocuments' }>) {
  const uid = task.indexUid as string;
  registry.require(uid);
  const { ruyi, docs } = await registry.open(uid);
  let ids: string[];
  if (p.all) ids = [...docs.ids()];
  else if (p.filter !== undefined) {
    const node = parseFilter(p.filter);
    ids = [];
    for (const { id, text } of docs.range()) if (node === null || matchesFilter(JSON.parse(text) as JsonObject, node)) ids.push(id);
  } else ids = p.ids ?? [];
  let deleted = 0;
  for (const id of ids) {
    if (docs.getText(id) === undefined) continue;
    deleted++;
    await ruyi.remove(id);
    void docs.remove(id);
  }
  await ruyi.flush();
  await docs.settle();
  return { deletedDocuments: deleted };
}

/**
 * pinyin and traditional are fixed when a ruyi index is made, and the title and body are
 * cut from the searchable attributes when a document is indexed: changing any of them
 * rebuilds the index from the stored documents (atomically: searches see the old one until
 * the new one is switched in).
 */
async function updateSettings(task: Task, registry: Registry, p: Extract<TaskPayload, { kind: 'settings' }>) {
  const uid = task.indexUid as string;
  const record = registry.record(uid) ?? createRecord(registry, uid, null);
  const next = applyPatch(record.settings, p.patch);
  if (needsRebuild(record.settings, next)) {
    const { docs } = await registry.open(uid);
    const count = docs.count();
    await registry.closeIndex(uid);
    const options = { ...registry.engineOptions, pinyin: next.pinyin, traditional: next.traditional };
    if (count === 0) {
      rmSync(registry.indexDir(uid), { recursive: true, force: true });
      await (await openIndex(registry.indexDir(uid), options)).close();
    } else {
      const reopened = new DocStore(registry.docsDir(uid));
      try {
        const pk = record.primaryKey as string;
        await rebuildIndex(
          registry.indexDir(uid),
          (function* () {
            for (const { id, text } of reopened.range()) yield toRuyiDoc(id, JSON.parse(text) as JsonObject, pk, next);
          })(),
          options,
        );
      } finally {
        await reopened.close();
      }
    }
  }
  registry.saveRecord({ ...record, settings: next, updatedAt: now() });
  return undefined;
}

export async function runTask(task: Task, registry: Registry): Promise<Record<string, unknown> | undefined> {
  const p = task.payload as TaskPayload;
  const uid = task.indexUid as string;
  switch (p.kind) {
    case 'createIndex':
      if (registry.record(uid) !== undefined) throw new ApiError('index_already_exists', `Index \`${uid}\` already exists.`);
      createRecord(registry, uid, p.primaryKey);
      await registry.open(uid);
      return undefined;
    case 'updateIndex': {
      const r = registry.require(uid);
      if (p.primaryKey !== null && r.primaryKey !== p.primaryKey) {
        const { docs } = await registry.open(uid);
        if (docs.count() > 0)
          throw new ApiError('index_primary_key_already_exists', `Index \`${uid}\`: primary key already exists as \`${r.primaryKey}\`.`);
        registry.saveRecord({ ...r, primaryKey: p.primaryKey, updatedAt: now() });
      }
      return undefined;
    }
    case 'deleteIndex': {
      registry.require(uid);
      const docs = (await registry.open(uid)).docs.count();
      await registry.closeIndex(uid);
      registry.saveRecord(null, uid);
      rmSync(registry.indexDir(uid), { recursive: true, force: true });
      rmSync(registry.docsDir(uid), { recursive: true, force: true });
      return { deletedDocuments: docs };
    }
    case 'documents':
      return addDocuments(task, registry, p);
    case 'deleteDocuments':
      return deleteDocuments(task, registry, p);
    case 'settings':
      return updateSettings(task, registry, p);
  }
}
