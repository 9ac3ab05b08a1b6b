import { createReadStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type DocSizeLimit, fitDocSize } from '../doc-size.js';
import { type Doc, isEngineError, openIndex, rebuildIndex } from '../index.js';
import { refeedCluster } from './cluster-serve.js';
import { ApiError } from './errors.js';
import type { JsonObject } from './filter-eval.js';
import { matchesFilter } from './filter-eval.js';
import { parseFilter } from './filter-parser.js';
import { documentId, inferPrimaryKey, toRuyiDoc } from './mapping.js';
import type { IndexRecord, Registry } from './registry.js';
import { applyPatch, DEFAULT_SETTINGS, needsRebuild, type SettingsPatch } from './settings.js';
import type { Task } from './task-log.js';
import { TimeSlices } from './time-slices.js';

/** Document text queued for the document store before a write is awaited (UTF-16 units: 8 MB of heap; see SERVE_WORK_BYTES). */
const MAX_QUEUED_STORE_CHARS = 4 * 2 ** 20;

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

function createRecord(registry: Registry, uid: string, primaryKey: string | null, taskUid: number): IndexRecord {
  const r: IndexRecord = {
    uid,
    primaryKey,
    createdAt: now(),
    updatedAt: now(),
    settings: registry.record(uid)?.settings ?? { ...DEFAULT_SETTINGS },
    createdByTask: taskUid,
  };
  registry.saveRecord(r);
  return r;
}

/** A document the index cannot hold fails its upload as invalid (Meilisearch's code), naming it. */
function checkSize(doc: Doc, limit: DocSizeLimit, n: number): void {
  try {
    const body = doc.body ?? '';
    const bytes = typeof body === 'string' ? null : body;
    const input = { id: doc.id, title: doc.title ?? '', body: typeof body === 'string' ? body : '', tags: [], date: null, fields: null };
    fitDocSize(input, bytes, limit, `document ${n}`);
  } catch (err) {
    if (isEngineError(err) && err.code === 'E_INPUT') throw new ApiError('invalid_document_fields', err.message);
    throw err;
  }
}

async function addDocuments(task: Task, registry: Registry, p: Extract<TaskPayload, { kind: 'documents' }>) {
  const uid = task.indexUid as string;
  let record = registry.record(uid) ?? createRecord(registry, uid, null, task.uid);
  if (p.primaryKey !== null && record.primaryKey !== null && p.primaryKey !== record.primaryKey)
    throw new ApiError('index_primary_key_already_exists', `Index \`${uid}\`: primary key already exists as \`${record.primaryKey}\`.`);
  // First pass: every document must have a valid id and a size the index can hold before
  // any is written, so that a bad upload fails whole, as in Meilisearch.
  const { ruyi, docs } = await registry.open(uid);
  const sizeLimit = ruyi.docSizeLimit();
  // A document's title and body each come from its own JSON text (the body is the title again
  // at most): an upload of at most half the limit holds no document over it, and is not mapped twice.
  const mayHoldTooLarge = 2 * statSync(join(registry.spoolDir, p.file)).size > sizeLimit.maxDocBytes;
  const settings = record.settings;
  let primaryKey = record.primaryKey ?? p.primaryKey;
  let received = 0;
  const slices = new TimeSlices();
  for await (const doc of spooled(registry, p.file)) {
    await slices.pause();
    if (primaryKey === null) primaryKey = inferPrimaryKey(doc);
    const id = documentId(doc, primaryKey);
    if (mayHoldTooLarge) checkSize(toRuyiDoc(id, doc, primaryKey, settings), sizeLimit, received);
    received++;
  }
  if (primaryKey === null) return { receivedDocuments: 0, indexedDocuments: 0 };
  if (record.primaryKey === null) {
    record = { ...record, primaryKey, updatedAt: now() };
    registry.saveRecord(record);
  }
  const pk = primaryKey;
  const recent = new Map<string, JsonObject>();
  for await (const doc of spooled(registry, p.file)) {
    await slices.pause();
    const id = documentId(doc, pk);
    // An id may come twice in one update: merge into what this task wrote, not yet readable from the store.
    const merged = p.method === 'update' ? { ...(recent.get(id) ?? docs.get(id) ?? {}), ...doc } : doc;
    if (p.method === 'update') recent.set(id, merged);
    await ruyi.add(toRuyiDoc(id, merged, pk, settings));
    void docs.put(id, merged);
    if (await docs.pace(MAX_QUEUED_STORE_CHARS)) recent.clear();
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
    for (const id of docs.ids()) if (node === null || matchesFilter(docs.getAttrs(id) ?? {}, node)) ids.push(id);
  } else ids = p.ids ?? [];
  let deleted = 0;
  const slices = new TimeSlices();
  for (const id of ids) {
    await slices.pause();
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
  const record = registry.record(uid) ?? createRecord(registry, uid, null, task.uid);
  const next = applyPatch(record.settings, p.patch);
  if (needsRebuild(record.settings, next) && registry.cluster !== null) await refeedCluster(await registry.open(uid), record, next);
  else if (needsRebuild(record.settings, next)) {
    const opened = await registry.open(uid);
    const dir = registry.indexDir(uid);
    const options = { ...registry.engineOptions, pinyin: next.pinyin, traditional: next.traditional };
    // The open index holds the writer lock that a rebuild needs: searches go to a
    // reader meanwhile, which follows the switch to the new generation.
    await opened.ruyi.close();
    if (opened.docs.count() === 0) {
      rmSync(dir, { recursive: true, force: true });
      opened.ruyi = await openIndex(dir, options);
    } else {
      opened.ruyi = await openIndex(dir, registry.engineOptions);
      try {
        const pk = record.primaryKey as string;
        await rebuildIndex(
          dir,
          (function* () {
            for (const { id, text } of opened.docs.range()) yield toRuyiDoc(id, JSON.parse(text) as JsonObject, pk, next);
          })(),
          options,
        );
      } finally {
        const reader = opened.ruyi;
        // Without pinyin/traditional options: whatever the live generation was made with.
        opened.ruyi = await openIndex(dir, registry.engineOptions);
        await reader.close();
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
    case 'createIndex': {
      const existing = registry.record(uid);
      // Made by this very task, run again after a crash.
      if (existing !== undefined && existing.createdByTask === task.uid) return undefined;
      if (existing !== undefined) throw new ApiError('index_already_exists', `Index \`${uid}\` already exists.`);
      createRecord(registry, uid, p.primaryKey, task.uid);
      await registry.open(uid);
      return undefined;
    }
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
      await registry.dropIndexData(uid);
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
