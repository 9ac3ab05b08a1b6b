// SQLite FTS5 through better-sqlite3, on disk, two ways:
//  - fts5-jieba: the jieba tokens joined by spaces in a contentless FTS5 table (unicode61
//    keeps a run of Han characters as one token, so each jieba token stays whole), the
//    original documents in a plain table next to it;
//  - fts5-trigram: FTS5's trigram tokenizer over the raw text, no jieba (external content
//    table: the documents are stored once).
// Ranking is bm25() with column weights title 3, body 1, set once as the table's `rank`
// (FTS5's docs: ORDER BY rank is faster than ORDER BY bm25(...)). Queries are ANDed quoted
// tokens (FTS5's implicit AND; quoting keeps user text from being read as query syntax), not
// a phrase: jieba's search mode puts sub-words at the same position, so a phrase would not
// line up. With no AND match, the tokens are ORed.
// Trigram matches substrings of 3+ characters; a query chunk of 1-2 characters cannot use
// the index, so a query with only such chunks is a LIKE scan (FTS5's docs: LIKE and GLOB
// with the trigram tokenizer), which has no rank.
import { join } from 'node:path';

const BATCH_DOCS = 1000;

let Database;

async function openDatabase(file, readonly) {
  Database ??= (await import('better-sqlite3')).default;
  const db = new Database(file, { readonly });
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  return db;
}

function quote(token) {
  return `"${token.replaceAll('"', '""')}"`;
}

function sqliteEngine(name, trigram) {
  return {
    name,
    modes: ['and-or'],
    onDisk: true,
    async prepare() {
      Database ??= (await import('better-sqlite3')).default;
    },
    async build(docs, tokenize, dir) {
      const db = await openDatabase(join(dir, 'index.sqlite'), false);
      db.exec('CREATE TABLE docs(id TEXT NOT NULL, title TEXT, body TEXT)');
      db.exec(
        trigram
          ? "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='trigram', content='docs', content_rowid='rowid')"
          : "CREATE VIRTUAL TABLE fts USING fts5(title, body, content='', contentless_delete=1)",
      );
      db.exec("INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(3.0, 1.0)')");
      const addDoc = db.prepare('INSERT INTO docs(id, title, body) VALUES(?, ?, ?)');
      const addFts = db.prepare('INSERT INTO fts(rowid, title, body) VALUES(?, ?, ?)');
      const commit = db.transaction((batch) => {
        for (const d of batch) {
          const { lastInsertRowid } = addDoc.run(d.id, d.title ?? '', d.body);
          if (trigram) addFts.run(lastInsertRowid, d.title ?? '', d.body);
          // Documents may come tokenized already (bench:index's peers tokenize on worker threads).
          else addFts.run(lastInsertRowid, d.titleTokens ?? tokenize(d.title ?? '').join(' '), d.bodyTokens ?? tokenize(d.body).join(' '));
        }
      });
      let batch = [];
      for await (const doc of docs) {
        batch.push(doc);
        if (batch.length >= BATCH_DOCS) {
          commit(batch);
          batch = [];
        }
      }
      commit(batch);
      db.exec('CREATE UNIQUE INDEX docs_id ON docs(id)');
      db.exec("INSERT INTO fts(fts) VALUES('optimize')");
      db.pragma('wal_checkpoint(TRUNCATE)');
      return db;
    },
    async save(db) {
      db.close();
    },
    async load(dir) {
      const db = await openDatabase(join(dir, 'index.sqlite'), true);
      return {
        db,
        match: db.prepare('SELECT d.id FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? ORDER BY rank LIMIT ?'),
        like: new Map(),
      };
    },
    search(state, query, _mode, limit, tokenize) {
      const terms = trigram
        ? query
            .normalize('NFKC')
            .split(/[\s\p{P}\p{S}]+/u)
            .filter((t) => t !== '')
        : [...new Set(tokenize(query))];
      if (terms.length === 0) return [];
      const usable = trigram ? terms.filter((t) => [...t].length >= 3) : terms;
      if (usable.length === 0) return likeScan(state, terms, limit);
      let rows = state.match.all(usable.map(quote).join(' '), limit);
      if (rows.length === 0 && usable.length > 1) rows = state.match.all(usable.map(quote).join(' OR '), limit);
      return rows.map((r) => r.id);
    },
  };
}

function likeScan(state, terms, limit) {
  let stmt = state.like.get(terms.length);
  if (stmt === undefined) {
    const where = terms.map(() => '(title LIKE ? OR body LIKE ?)').join(' AND ');
    stmt = state.db.prepare(`SELECT id FROM docs WHERE rowid IN (SELECT rowid FROM fts WHERE ${where}) LIMIT ?`);
    state.like.set(terms.length, stmt);
  }
  const params = terms.flatMap((t) => [`%${t}%`, `%${t}%`]);
  return stmt.all(...params, limit).map((r) => r.id);
}

export const fts5Jieba = sqliteEngine('fts5-jieba', false);
export const fts5Trigram = sqliteEngine('fts5-trigram', true);
