#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ from the fixtures and fuzz/seeds/ (the corpus itself is not
# committed). Each seed starts with the selector bytes its target reads first.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../fixtures
corpus=corpus
mkdir -p "$corpus"/{path_map,links,warc_reader,robots}

n=0
seed() { # seed <target> <prefix as printf format> <file>
  n=$((n + 1))
  { printf "$2"; cat "$3"; } >"$corpus/$1/fixture-$n"
}

# links: [mode (even HTML, odd CSS), charset selector, chunk size] + document.
while IFS= read -r -d '' f; do
  seed links '\000\000\007' "$f"
  seed links '\000\002\100' "$f"
done < <(find "$fixtures/sites" "$fixtures/extract" -name '*.html' -print0)
while IFS= read -r -d '' f; do
  seed links '\001\000\000' "$f"
done < <(find "$fixtures/sites" "$fixtures/extract" -name '*.css' -print0)

# path_map: [mime selector] + one URL per line: every href/src the fixture pages carry.
while IFS= read -r -d '' f; do
  n=$((n + 1))
  { printf '\001'; grep -oE '(href|src)="[^"]*"' "$f" | sed -E 's/^[a-z]+="//; s/"$//' || true; } \
    >"$corpus/path_map/fixture-$n"
done < <(find "$fixtures/sites" "$fixtures/extract" -name '*.html' -print0)
printf '\000http://Example.com:8080/a/b/?q=1&r=%%2F#frag\n/CON/aux.txt\n/%%2e%%2e/%%2e%%2e/x\n' \
  >"$corpus/path_map/handmade-1"

# robots: a path to ask about, a newline, then the robots.txt body.
while IFS= read -r -d '' f; do
  seed robots '/privat/hemmelig.html\n' "$f"
done < <(find "$fixtures/sites" -name 'robots.txt' -print0)
printf '/a/x/c.php?q=%%41\nUser-agent: arkiv\nDisallow: /*.php$\nAllow: /a/*/c\nCrawl-delay: 1e400\nSitemap: //other/s.xml\n\nUser-agent: *\nDisallow: /\n' \
  >"$corpus/robots/handmade-1"

# warc_reader: [mode: low bit set = compress NUL-separated pieces; the rest picks a chunk size]
# + bytes. Seeds: a small WARC arkiv wrote (see README), gzip and plain.
seed warc_reader '\020' seeds/small.warc.gz
seed warc_reader '\040' seeds/small.warc
seed warc_reader '\003' seeds/small.warc
echo "corpus: $(find "$corpus" -type f | wc -l) seeds in fuzz/$corpus"
