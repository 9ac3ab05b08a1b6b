#!/usr/bin/env python3
"""Convert zh_CN software manuals (HTML from Debian packages) into NDJSON, one page a line:
{"id", "title", "body", "tags": [source, section]}.  Called by build-manuals-corpus.sh.

usage: manuals_corpus.py DEBROOT OUT.ndjson

Unlike the dev corpus (man pages and classical text), these are long, markup-heavy pages
with much English: menu paths, UI strings, code, shell sessions, file names.  Code and
English are kept on purpose (that is the point of the corpus); navigation chrome (headers,
sidebars, prev/next tables), scripts and styles are dropped.  Block elements become line
breaks and paragraphs are separated by a blank line, so make-scale-corpus.py (which
recombines paragraphs split at blank lines) works on this corpus as on the dev one.
Pages with < 40 bytes of body or a body seen before are dropped.  Deterministic: sorted input.
"""
import glob, hashlib, json, os, re, sys
from html.parser import HTMLParser

BLOCK = {'p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'dt', 'dd', 'tr', 'table', 'pre',
         'blockquote', 'section', 'article', 'ul', 'ol', 'dl', 'br', 'hr', 'figure', 'caption'}
PARA = {'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'table', 'blockquote', 'ul', 'ol', 'dl', 'section'}
SKIP = {'script', 'style', 'head', 'nav', 'header', 'footer', 'aside', 'noscript', 'button', 'input', 'label'}
# Navigation chrome by class: DocBook's header/footer tables (GIMP, debian-reference), LibreOffice's
# "related topics" and its module/index sidebars.
SKIP_CLASS = {'navheader', 'navfooter', 'toc', 'contents-treeview', 'index-label', 'dropdowns', 'relatedtopics',
              'tooltip', 'debug'}
VOID = {'br', 'hr', 'img', 'input', 'meta', 'link', 'area', 'base', 'col', 'embed', 'source', 'wbr'}


class Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip, self.stack, self.pre = [], 0, [], 0
        self.title, self.h1, self.in_title, self.in_h = '', '', False, False

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag in ('br', 'hr') and not self.skip:
                self.out.append('\n')
            return
        cls = dict(attrs).get('class') or ''
        skipping = tag in SKIP or not SKIP_CLASS.isdisjoint(cls.split())
        self.stack.append((tag, skipping))
        if skipping:
            self.skip += 1
        if tag == 'title':
            self.in_title = True
        if tag in ('h1', 'h2') and not self.h1:
            self.in_h = True
        if tag == 'pre':
            self.pre += 1
        if not self.skip and tag in BLOCK:
            self.out.append('\n\n' if tag in PARA else '\n')

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        # Pop to the matching open tag (HTML in the wild leaves some unclosed).
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for t, skipping in self.stack[i:]:
                    if skipping:
                        self.skip -= 1
                    if t == 'pre':
                        self.pre -= 1
                del self.stack[i:]
                break
        if tag == 'title':
            self.in_title = False
        if tag in ('h1', 'h2'):
            self.in_h = False
        if not self.skip and tag in BLOCK:
            self.out.append('\n\n' if tag in PARA else '\n')

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.skip:
            return
        if self.in_h:
            self.h1 += data
        if not self.pre:
            data = re.sub(r'\s+', ' ', data)
        self.out.append(data)


def tidy(text):
    lines = [re.sub(r'[ \t\u3000\xa0]+', ' ', l).strip() for l in text.split('\n')]
    return re.sub(r'\n{3,}', '\n\n', '\n'.join(lines)).strip()


def one_line(s):
    return ' '.join(s.split())


def pages(root):
    """(source, section, id, path) for every page, sorted."""
    lo = os.path.join(root, 'usr/share/libreoffice/help/zh-CN/text')
    for p in sorted(glob.glob(f'{lo}/**/*.html', recursive=True)):
        rel = os.path.relpath(p, lo)
        yield 'libreoffice-help', rel.split('/')[0], 'lo:' + rel[:-5], p
    gimp = os.path.join(root, 'usr/share/gimp/2.0/help/zh_CN')
    for p in sorted(glob.glob(f'{gimp}/*.html')):
        name = os.path.basename(p)[:-5]
        yield 'gimp-help', name.split('-')[1] if '-' in name else name, 'gimp:' + name, p
    ref = os.path.join(root, 'usr/share/debian-reference')
    for p in sorted(glob.glob(f'{ref}/*.zh-cn.html')):
        name = os.path.basename(p).split('.')[0]
        yield 'debian-reference', name, 'debref:' + name, p
    # KiCad's manuals are one page each (up to 400 KB of HTML): the long documents.
    for p in sorted(glob.glob(os.path.join(root, 'usr/share/doc/kicad/help/zh/*.html'))):
        name = os.path.basename(p)[:-5]
        yield 'kicad-doc', name, 'kicad:' + name, p
    # LilyPond's split pages (its *-big-page and index pages repeat them).
    ly = os.path.join(root, 'usr/share/doc/lilypond/html/Documentation')
    for part in ('learning', 'web'):
        for p in sorted(glob.glob(f'{ly}/{part}/*.zh.html')):
            name = os.path.basename(p)[:-8]
            if not name.endswith('index'):
                yield 'lilypond-doc', part, f'lilypond:{part}/{name}', p
    # Debian Edu's bookworm manual (the bullseye one is mostly the same text).
    for p in sorted(glob.glob(os.path.join(root, 'usr/share/doc/debian-edu-doc-zh-cn/*bookworm-manual.html'))):
        yield 'debian-edu-doc', 'bookworm', 'debian-edu:bookworm-manual', p
    for p in sorted(glob.glob(os.path.join(root, 'usr/share/doc/maint-guide-zh-cn/html/*.html'))):
        name = os.path.basename(p).split('.')[0]
        yield 'maint-guide', name, 'maint-guide:' + name, p
    for p in sorted(glob.glob(os.path.join(root, 'usr/share/doc/debian/FAQ/zh-cn/*.html'))):
        name = os.path.basename(p).split('.')[0]
        yield 'debian-faq', name, 'debian-faq:' + name, p


def main():
    root, out = sys.argv[1:3]
    seen, n, size, per = set(), 0, 0, {}
    with open(out, 'w', encoding='utf-8') as fh:
        for source, section, doc_id, path in pages(root):
            parser = Text()
            parser.feed(open(path, encoding='utf-8', errors='replace').read())
            parser.close()
            body = tidy(''.join(parser.out))
            title = one_line(parser.h1) or one_line(parser.title) or doc_id
            digest = hashlib.sha1(body.encode()).digest()
            if len(body.encode()) < 40 or digest in seen:
                continue
            seen.add(digest)
            fh.write(json.dumps({'id': doc_id, 'title': title, 'body': body, 'tags': [source, section]},
                                ensure_ascii=False) + '\n')
            n += 1
            size += len(body.encode())
            per[source] = per.get(source, 0) + 1
    print(f'{out}: {n} docs, body {size / 1e6:.1f} MB; {per}', file=sys.stderr)


main()
