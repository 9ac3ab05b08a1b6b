#!/usr/bin/env bash
# Build the MANUALS corpus: zh_CN software manuals, unlike the dev corpus (man pages and
# classical text): long HTML pages with menu paths, UI strings, code and much English.
# NDJSON {"id","title","body","tags":[source,section]}, one page a line (no "date").
# usage: build-manuals-corpus.sh [OUT.ndjson]     (default ./corpus-manuals.ndjson)
# Result (deterministic for the package versions, ~40 s plus ~100 MB of downloads):
# ~3.4k docs, ~8 MB of body text, Han ~19% of non-space characters (dev: ~50%+);
# median page ~1 KB, the KiCad manuals up to ~190 KB each.  That is all the zh_CN HTML
# documentation Debian 12 ships in these packages; the benches recombine it to 100 MB with
# ../../../shared/corpus/make-scale-corpus.py (scripts/corpus-cache.ts manualsCorpus()).
#
# Sources (Debian 12 binary packages; licences from each package's debian/copyright; the
# text is used here only to measure, never committed or redistributed):
#   libreoffice-help-zh-cn  (source libreoffice)     MPL-2.0              2.5k help pages
#   gimp-help-zh-cn         (source gimp-help)       GFDL-1.2+            ~680 pages, partly untranslated (English)
#   debian-reference-zh-cn  (source debian-reference) GPL-2+              15 chapters
#   kicad-doc-zh            (source kicad-doc)       GPL-3+ / CC-BY-3.0   8 manuals, one page each
#   lilypond-doc-html-zh    (source lilypond)        GFDL-1.3+            ~170 pages (learning manual, web)
#   debian-edu-doc-zh-cn    (source debian-edu-doc)  GPL-2+               the bookworm manual
#   maint-guide-zh-cn       (source maint-guide)     MIT-style (Expat)    11 chapters
#   debian-faq-zh-cn        (source debian-faq)      GPL-2+               17 chapters
# Needs: bash, apt-get, dpkg-deb, python3 (html.parser; nothing else).  Nothing is installed
# system-wide: packages are downloaded and unpacked into a temp dir removed on exit.
set -euo pipefail

out=${1:-./corpus-manuals.ndjson}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs=(libreoffice-help-zh-cn gimp-help-zh-cn debian-reference-zh-cn kicad-doc-zh lilypond-doc-html-zh
      debian-edu-doc-zh-cn maint-guide-zh-cn debian-faq-zh-cn)

# apt-get download works without root; refresh the package lists only if needed (as root).
(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]}") ||
  { apt-get update -qq && (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]}"); }
for deb in "$tmp"/*.deb; do
  dpkg-deb -x "$deb" "$tmp/root"
  dpkg-deb -f "$deb" Package Version | paste -sd' ' >&2
done
mkdir -p "$(dirname "$out")"
python3 "$here/manuals_corpus.py" "$tmp/root" "$out.tmp"
mv "$out.tmp" "$out"
