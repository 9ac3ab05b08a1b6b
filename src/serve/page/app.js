// The built-in search page of `ruyi serve`: a plain ES module with no build step and no
// external assets (the browser may have no network beyond this server). It speaks only the
// Meilisearch routes the server implements: GET /indexes and POST /indexes/:uid/search.

const HITS_PER_PAGE = 10;
// Short enough that typing feels live, long enough that a fast typist sends one request per pause.
const DEBOUNCE_MS = 150;
// cropLength counts words (Meilisearch); with jieba a Chinese word is 1-4 characters.
const CROP_WORDS = 30;
const FACET_LIMIT = 30;
const KEY_STORAGE = 'ruyi.apiKey';
// The server's defaults for which attributes are the title and the body (issue 13).
const TITLE_FIELDS = ['title', 'name', 'subject'];
const BODY_FIELDS = ['body', 'content', 'text', 'markdown', 'description'];
const FACET = 'tags';

// Highlight markers that no document can contain by accident: private-use characters around a
// random nonce chosen per page load. Everything between markers is inserted as text nodes, so a
// document's own `<script>` or `&amp;` is shown verbatim, never parsed.
const nonce = Array.from(crypto.getRandomValues(new Uint32Array(2)), (n) => n.toString(36)).join('');
const PRE = `\uE000${nonce}\uE001`;
const POST = `\uE002${nonce}\uE003`;

const $ = (id) => document.getElementById(id);
const el = {
  settings: $('settings'),
  keyForm: $('key-form'),
  key: $('api-key'),
  keyClear: $('key-clear'),
  form: $('search-form'),
  indexSelect: $('index-select'),
  indexInput: $('index-input'),
  q: $('q'),
  notice: $('notice'),
  facets: $('facet-list'),
  status: $('status'),
  hits: $('hits'),
  pager: $('pager'),
  prev: $('prev'),
  next: $('next'),
  pageInfo: $('page-info'),
};

const params = new URLSearchParams(location.search);
const state = {
  index: params.get('index') ?? '',
  primaryKey: 'id',
  primaryKeys: new Map(),
  q: params.get('q') ?? '',
  page: Math.max(1, Number(params.get('page')) || 1),
  tags: new Set(params.getAll('tag')),
  facetsSupported: true,
};

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return ''; // storage disabled (private mode, file policy): work without a key
  }
}

async function api(path, body, signal) {
  const headers = {};
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function notice(text) {
  el.notice.textContent = text ?? '';
  el.notice.hidden = !text;
}

function authNotice(err) {
  el.settings.open = true;
  return err.status === 401
    ? '需要 API 密钥：请在“设置”中填写。 This server needs an API key (Settings).'
    : 'API 密钥无效或无权限。 The API key is invalid or lacks this permission.';
}

/** Appends `text` to `parent`, turning only the PRE…POST spans into <mark> elements. */
function appendHighlighted(parent, text) {
  let rest = text;
  let inMark = false;
  while (rest.length > 0) {
    const at = rest.indexOf(inMark ? POST : PRE);
    const piece = at < 0 ? rest : rest.slice(0, at);
    if (piece) {
      if (inMark) {
        const mark = document.createElement('mark');
        mark.textContent = piece;
        parent.append(mark);
      } else {
        parent.append(piece);
      }
    }
    if (at < 0) break;
    rest = rest.slice(at + (inMark ? POST : PRE).length);
    inMark = !inMark;
  }
}

function asText(value) {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(asText).join(' · ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function firstField(doc, fields) {
  return fields.find((f) => doc?.[f] !== undefined && doc[f] !== null && doc[f] !== '');
}

// --- indexes ------------------------------------------------------------------------------

function useIndexInput(uid) {
  el.indexSelect.hidden = true;
  el.indexInput.hidden = false;
  el.indexInput.value = uid;
  document.querySelector('label[for="index-select"]').htmlFor = 'index-input';
}

async function loadIndexes() {
  let list;
  try {
    list = await api('/indexes?limit=1000');
  } catch (err) {
    if (err.status === 401) return notice(authNotice(err));
    // A search-only key may not list indexes: let the user type the uid instead.
    if (err.status === 403) {
      useIndexInput(state.index);
      return state.index ? search() : notice('请输入索引名。 Type the index uid.');
    }
    return notice(`无法列出索引 · Cannot list indexes: ${err.message}`);
  }
  const results = Array.isArray(list?.results) ? list.results : [];
  el.indexSelect.replaceChildren(
    ...results.map((ix) => {
      state.primaryKeys.set(ix.uid, ix.primaryKey ?? 'id');
      return new Option(ix.uid, ix.uid);
    }),
  );
  if (results.length === 0) {
    el.status.textContent = '';
    return notice('还没有索引。先用 POST /indexes/:uid/documents 添加文档。 No index yet: add documents first.');
  }
  if (!results.some((ix) => ix.uid === state.index)) {
    if (state.index) notice(`没有索引 “${state.index}” · No index "${state.index}"; showing ${results[0].uid}.`);
    state.index = results[0].uid;
  }
  el.indexSelect.value = state.index;
  state.primaryKey = state.primaryKeys.get(state.index) ?? 'id';
  return search();
}

// --- search -------------------------------------------------------------------------------

let debounceTimer;
let seq = 0;
let inflight;

function tagFilter(tag) {
  return `${FACET} = "${tag.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function syncUrl() {
  const p = new URLSearchParams();
  if (state.index) p.set('index', state.index);
  if (state.q) p.set('q', state.q);
  if (state.page > 1) p.set('page', String(state.page));
  for (const t of state.tags) p.append('tag', t);
  const qs = p.toString();
  history.replaceState(null, '', qs ? `?${qs}` : location.pathname);
}

function searchSoon() {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(search, DEBOUNCE_MS);
}

async function search() {
  clearTimeout(debounceTimer);
  if (!state.index) return;
  const mine = ++seq;
  inflight?.abort();
  inflight = new AbortController();
  syncUrl();
  const body = {
    q: state.q,
    page: state.page,
    hitsPerPage: HITS_PER_PAGE,
    attributesToHighlight: [...TITLE_FIELDS, ...BODY_FIELDS],
    highlightPreTag: PRE,
    highlightPostTag: POST,
    attributesToCrop: BODY_FIELDS,
    cropLength: CROP_WORDS,
  };
  if (state.facetsSupported) body.facets = [FACET];
  if (state.tags.size > 0) body.filter = [...state.tags].map(tagFilter);
  el.hits.setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api(`/indexes/${encodeURIComponent(state.index)}/search`, body, inflight.signal);
  } catch (err) {
    if (mine !== seq || err.name === 'AbortError') return;
    el.hits.setAttribute('aria-busy', 'false');
    // An index whose tags are not filterable still deserves results, just without facets.
    if (err.code === 'invalid_search_facets' && state.facetsSupported) {
      state.facetsSupported = false;
      return search();
    }
    if (err.status === 401 || err.status === 403) return notice(authNotice(err));
    return notice(`搜索失败 · Search failed: ${err.message}`);
  }
  if (mine !== seq) return; // a newer query was sent while this one was in flight
  el.hits.setAttribute('aria-busy', 'false');
  notice('');
  render(data);
}

// --- rendering ----------------------------------------------------------------------------

function render(data) {
  const hits = Array.isArray(data.hits) ? data.hits : [];
  const total = data.totalHits ?? data.estimatedTotalHits ?? hits.length;
  const totalPages = data.totalPages ?? Math.max(1, Math.ceil(total / HITS_PER_PAGE));
  el.status.textContent =
    total === 0
      ? `没有结果 · No results (${data.processingTimeMs ?? 0} ms)`
      : `找到 ${total} 条结果 · ${total} ${total === 1 ? 'result' : 'results'} (${data.processingTimeMs ?? 0} ms)`;
  el.hits.replaceChildren(...hits.map(renderHit));
  renderFacets(data.facetDistribution?.[FACET] ?? {});
  el.pager.hidden = totalPages <= 1;
  el.pageInfo.textContent = `第 ${state.page} / ${totalPages} 页 · page ${state.page} of ${totalPages}`;
  el.prev.disabled = state.page <= 1;
  el.next.disabled = state.page >= totalPages;
}

function renderHit(hit) {
  const formatted = hit._formatted ?? {};
  const li = document.createElement('li');
  li.className = 'hit';

  const h3 = document.createElement('h3');
  h3.className = 'hit-title';
  const titleField = firstField(formatted, TITLE_FIELDS) ?? firstField(hit, TITLE_FIELDS);
  const titleText = titleField ? asText(formatted[titleField] ?? hit[titleField]) : asText(hit[state.primaryKey]);
  const url = typeof hit.url === 'string' && /^(https?:\/\/|\/)/.test(hit.url) ? hit.url : undefined;
  const titleTarget = url ? Object.assign(document.createElement('a'), { href: url }) : h3;
  appendHighlighted(titleTarget, titleText);
  if (url) h3.append(titleTarget);
  li.append(h3);

  const bodyField = firstField(formatted, BODY_FIELDS) ?? firstField(hit, BODY_FIELDS);
  if (bodyField) {
    const p = document.createElement('p');
    p.className = 'hit-snippet';
    const snippet = formatted[bodyField] ?? `${asText(hit[bodyField]).slice(0, 160)}…`;
    appendHighlighted(p, asText(snippet));
    li.append(p);
  }

  const meta = document.createElement('p');
  meta.className = 'hit-meta';
  const id = document.createElement('span');
  id.className = 'hit-id';
  id.textContent = asText(hit[state.primaryKey]);
  meta.append(id);
  for (const tag of Array.isArray(hit[FACET]) ? hit[FACET] : []) {
    const span = document.createElement('span');
    span.className = 'tag';
    span.textContent = asText(tag);
    meta.append(span);
  }
  if (hit.date) meta.append(Object.assign(document.createElement('time'), { textContent: asText(hit.date) }));
  li.append(meta);
  return li;
}

function renderFacets(distribution) {
  const counts = new Map(Object.entries(distribution));
  const values = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || a.localeCompare(b)).slice(0, FACET_LIMIT);
  // Selected tags stay visible (and removable) even when the filtered counts no longer list them.
  for (const t of state.tags) if (!values.includes(t)) values.unshift(t);
  el.facets.replaceChildren(
    ...values.map((value) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'facet';
      button.dataset.value = value;
      button.setAttribute('aria-pressed', String(state.tags.has(value)));
      const name = document.createElement('span');
      name.className = 'facet-name';
      name.textContent = value;
      const count = document.createElement('span');
      count.className = 'facet-count';
      count.textContent = String(counts.get(value) ?? 0);
      button.append(name, count);
      li.append(button);
      return li;
    }),
  );
  if (values.length === 0) {
    const li = document.createElement('li');
    li.className = 'facet-empty';
    li.textContent = state.facetsSupported ? '—' : '此索引的 tags 不可筛选 · tags not filterable';
    el.facets.append(li);
  }
}

// --- events -------------------------------------------------------------------------------

el.q.value = state.q;
el.key.value = apiKey();

el.q.addEventListener('input', (event) => {
  // While an IME composes (pinyin → 汉字) the box holds Latin letters; wait for the characters.
  if (event.isComposing) return;
  state.q = el.q.value;
  state.page = 1;
  searchSoon();
});
el.q.addEventListener('compositionend', () => {
  state.q = el.q.value;
  state.page = 1;
  searchSoon();
});
el.form.addEventListener('submit', (event) => {
  event.preventDefault();
  state.q = el.q.value;
  state.page = 1;
  void search();
});

function switchIndex(uid) {
  state.index = uid.trim();
  state.primaryKey = state.primaryKeys.get(state.index) ?? 'id';
  state.page = 1;
  state.tags.clear();
  state.facetsSupported = true;
  void search();
}
el.indexSelect.addEventListener('change', () => switchIndex(el.indexSelect.value));
el.indexInput.addEventListener('change', () => switchIndex(el.indexInput.value));

el.facets.addEventListener('click', (event) => {
  const button = event.target.closest('button.facet');
  if (!button) return;
  const value = button.dataset.value;
  if (state.tags.has(value)) state.tags.delete(value);
  else state.tags.add(value);
  state.page = 1;
  void search();
});

function turnPage(delta) {
  state.page = Math.max(1, state.page + delta);
  void search();
  el.status.scrollIntoView({ block: 'nearest' });
}
el.prev.addEventListener('click', () => turnPage(-1));
el.next.addEventListener('click', () => turnPage(1));

el.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  try {
    if (el.key.value) localStorage.setItem(KEY_STORAGE, el.key.value);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    notice('无法保存密钥 · Cannot store the key in this browser.');
  }
  notice('');
  void loadIndexes();
});
el.keyClear.addEventListener('click', () => {
  el.key.value = '';
  el.keyForm.requestSubmit();
});

void loadIndexes();
