import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Doc, openIndex, type RuyiIndex } from '../src/index.js';
import { tempDir } from './helpers.js';

// A phrase matches only where its words stand in order in the text (issue 12): on a
// LibreOffice help corpus, "对话框编辑器" returned documents holding 对话框编辑前缀, because the
// sub-word 编辑 was taken for the word 编辑器 (its 器 dropped) and positions let it through.

const DOCS: Doc[] = [
  { id: 'has', title: 'Basic IDE', body: '在 Basic IDE 中打开对话框编辑器，然后拖放控件。' },
  { id: 'has-spaced', title: '控件', body: '对话框 编辑器 可以从工具栏打开。' },
  { id: 'has-title', title: '对话框编辑器简介', body: '这一页介绍控件的属性。' },
  { id: 'prefix', title: '键盘快捷键', body: '对话框编辑前缀由一个字母组成，按下后进入编辑模式。' },
  { id: 'apart', title: '宏', body: '关闭对话框，编辑宏，再运行器件测试。' },
  { id: 'reversed', title: '选项', body: '编辑器对话框显示当前文档的选项。' },
  { id: 'split', title: '编辑', body: '对话框编辑 器 的位置在右边。' },
  { id: 'basic', title: '对话框', body: 'Basic 对话框编辑器 用来设计表单。' },
  { id: 'basic-apart', title: '表单', body: '在 Basic 中可以使用对话框编辑器设计表单。' },
  { id: 'english', title: 'Dialogs', body: 'Open the dialog editor from the toolbar.' },
  { id: 'english-apart', title: 'Boxes', body: 'A dialog box editor is not the same thing. Editor dialog settings.' },
  { id: 'stop', title: '窗口', body: '点击按钮打开的窗口会显示文件列表。' },
  { id: 'stop-other', title: '新窗口', body: '点击按钮打开新窗口会显示文件列表。' },
  { id: 'stop-dropped', title: '列表', body: '点击按钮打开窗口会显示文件列表。' },
  { id: 'nation', title: '历史', body: '一九四九年中华人民共和国成立。' },
];

async function phraseIndex(t: Parameters<typeof tempDir>[0], docs: readonly Doc[], shards = 2): Promise<RuyiIndex> {
  const index = await openIndex(tempDir(t), { threads: 1, shards });
  t.after(() => index.close());
  await index.add([...docs]);
  await index.flush();
  return index;
}

const ids = (index: RuyiIndex, query: string): string[] =>
  index
    .search(query, { limit: 100 })
    .hits.map((h) => h.id)
    .sort();

test('"对话框编辑器" matches only where the words stand in order: never 对话框编辑前缀, 编辑 … 器 or the reverse', async (t) => {
  const index = await phraseIndex(t, DOCS);
  assert.deepEqual(ids(index, '"对话框编辑器"'), ['basic', 'basic-apart', 'has', 'has-spaced', 'has-title']);
  // The words without quotes still find the looser matches.
  const loose = ids(index, '对话框 编辑器');
  for (const id of ['has', 'has-spaced', 'has-title', 'reversed']) assert.ok(loose.includes(id), id);
  assert.ok(!loose.includes('prefix'), '编辑 alone is not the word 编辑器');
  assert.deepEqual(ids(index, 'title:"对话框编辑器"'), ['has-title']);
  assert.deepEqual(ids(index, '"对话框编辑器" -basic'), ['has-spaced', 'has-title']);
});

test('mixed Chinese/English and English phrases are exact', async (t) => {
  const index = await phraseIndex(t, DOCS);
  assert.deepEqual(ids(index, '"Basic 对话框编辑器"'), ['basic']);
  assert.deepEqual(ids(index, '"basic IDE 中打开对话框"'), ['has']);
  assert.deepEqual(ids(index, '"dialog editor"'), ['english']);
  assert.deepEqual(ids(index, '"DIALOG EDITOR"'), ['english']);
  assert.deepEqual(ids(index, '"editor dialog"'), ['english-apart']);
  assert.deepEqual(ids(index, '"dialog box editor"'), ['english-apart']);
});

test('a stop word inside a phrase must be there: 打开的窗口 is not 打开新窗口 or 打开窗口', async (t) => {
  const index = await phraseIndex(t, DOCS);
  assert.deepEqual(ids(index, '"打开的窗口"'), ['stop']);
  assert.deepEqual(ids(index, '"打开窗口"'), ['stop-dropped']);
  assert.deepEqual(ids(index, '"按钮打开新窗口"'), ['stop-other']);
  // A stop word at the edge of a phrase counts too.
  assert.deepEqual(ids(index, '"的窗口"'), ['stop']);
});

test('sub-words: a phrase inside a longer word matches, pieces out of order or with a gap do not', async (t) => {
  const index = await phraseIndex(t, DOCS);
  assert.deepEqual(ids(index, '"人民共和国成立"'), ['nation']);
  assert.deepEqual(ids(index, '"共和国成立"'), ['nation']);
  assert.deepEqual(ids(index, '"中华成立"'), []);
  assert.deepEqual(ids(index, '"共和国人民"'), []);
  assert.deepEqual(ids(index, '"人民 共和国"'), ['nation']);
});

// Random texts from pieces that jieba cuts in many ways: every hit of a phrase holds it in its
// text (letters and digits compared, spaces and punctuation ignored), and every document
// where it stands between punctuation (so jieba cuts it as it cuts the query) is a hit.
test('property: a phrase hit always holds the phrase; the phrase between punctuation is always a hit', async (t) => {
  const pieces = ['对话框', '编辑', '器', '编辑器', '前缀', '的', '窗口', '打开', '新', '人民', '共和国', '中华', '成立', '控件', 'dialog', 'editor'];
  const seps = ['', '', '', ' ', '，', '。'];
  const text = fc
    .array(fc.tuple(fc.constantFrom(...pieces), fc.constantFrom(...seps)), { minLength: 3, maxLength: 14 })
    .map((parts) => parts.map(([p, s]) => p + s).join(''));
  const phrase = fc.array(fc.constantFrom(...pieces), { minLength: 2, maxLength: 3 }).map((p) => p.join(''));
  const docsArb = fc.array(text, { minLength: 4, maxLength: 12 });
  const samples = fc.sample(fc.tuple(docsArb, fc.array(phrase, { minLength: 4, maxLength: 4 })), { numRuns: 6, seed: 7 });
  const key = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, (m) => (m.includes(' ') ? ' ' : ''));
  for (const [bodies, phrases] of samples) {
    const docs = bodies.map((body, i) => ({ id: `d${i}`, title: '', body: i % 3 === 0 ? `。${phrases[i % 4]}。${body}` : body }));
    const index = await phraseIndex(t, docs, 1);
    for (const p of phrases) {
      const hits = ids(index, `"${p}"`);
      for (const id of hits) {
        const body = (docs.find((d) => d.id === id) as Doc).body as string;
        assert.ok(key(body).replace(/ /g, '').includes(p.toLowerCase()), `"${p}" matched ${id}: ${body}`);
      }
      for (const d of docs) {
        if (d.body.includes(`。${p}。`)) assert.ok(hits.includes(d.id), `"${p}" missed ${d.id}: ${d.body}`);
      }
    }
    await index.close();
  }
});

test('long bodies: the phrase is found wherever it stands, and near misses repeated all over are not a match', async (t) => {
  const filler = '打开对话框，然后编辑器会显示。'.repeat(12_000); // 对话框 and 编辑器 everywhere, never adjacent
  const index = await phraseIndex(t, [
    { id: 'far', title: '长文', body: `${filler}最后一段：对话框编辑器。` },
    { id: 'never', title: '长文二', body: filler },
    { id: 'upper', title: 'Long', body: `${'The dialog, then the editor. '.repeat(5_000)}Finally THE DIALOG EDITOR.` },
  ]);
  assert.deepEqual(ids(index, '"对话框编辑器"'), ['far']);
  assert.deepEqual(ids(index, '"dialog editor"'), ['upper']);
});
