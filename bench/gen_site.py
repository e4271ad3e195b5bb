#!/usr/bin/env python3
"""Generate a synthetic static documentation site for the crawler benchmark (stdlib only).

The site looks like a real documentation site (Sphinx/MkDocs-like): nested folders of pages with
a sidebar, breadcrumbs, prev/next and cross links; a shared theme CSS that @imports a font sheet
(`url()` to WOFF2/WOFF fonts and images); three JS files; images with `srcset` and `<picture>`;
query-string pages (search terms, changelog pagination); a few redirects; robots.txt that
disallows /private/ and names a sitemap; a link to a page that does not exist (404).

Everything is derived from --seed, so the same arguments give byte-identical output. Names are
word slugs without digits, as on most documentation sites (see README "Benchmarks" for why that
matters to arkiv's trap guard); `--numbered` names pages `page-<n>.html` and images
`figure-<n>.png` instead, to show it.

`--shape numbered` generates another site: a manual numbered throughout, as a large generated
reference or a digitised book is (`/docs/secNN/chNN/pNNNNN.html`), where every page links the
previous and next page and three other pages anywhere, shows two figures of its own
(`/figures/.../pNNNNN-a.png`) and is listed on its chapter's index page. Every page has the same
URL shape as the pages it links, which is what arkiv's trap guard must tell from a calendar trap.
It is generated from templates and a pool of paragraphs, fast enough for half a million URLs
(`--urls`): about three URLs per page.

Output (--out DIR):
  DIR/root/                 the document root
  DIR/redirects.json        [[from_path, status, to_path], ...] for servers that read it
  DIR/redirects.nginx.conf  the same as nginx `location = ... { return ...; }` blocks
  DIR/site.json             counts of what was generated (pages, assets, query URLs, ...)
"""

import argparse
import json
import os
import posixpath
import random
import struct
import zlib

SYLLABLES = (
    "ka ri to ne mo la su vi de pa lo ren tal mis cor ven dor sal tik bru fen gal hob "
    "jun kel lum nor pet quin ros sev tor ulm vak wes yor zan ber cal dun eth fir gor"
).split()

SECTIONS = ["guide", "reference", "tutorials", "howto", "concepts", "api", "faq", "changelog"]

TEXT_WORDS = (
    "the crawler archive mirror record header payload digest response request link page "
    "stylesheet image font script index folder option value default setting example install "
    "configure run build test verify server client host scope robots sitemap redirect query "
    "a an of to in for with on by from is are be can will should must may this that it as"
).split()


def slugify(rng, used):
    """A fresh pronounceable slug of 2-3 syllables, sometimes hyphenated (never a digit)."""
    while True:
        parts = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))]
        if rng.random() < 0.35:
            parts.append("".join(rng.choice(SYLLABLES) for _ in range(2)))
        slug = "-".join(parts)
        if slug not in used:
            used.add(slug)
            return slug


def png_bytes(rng, size):
    """A valid RGB PNG of roughly `size` bytes (noise, so it does not compress)."""
    width = 64
    height = max(1, size // (width * 3))
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def rel_path(from_page, to_path):
    """Relative reference from the page at URL path `from_page` to URL path `to_path`."""
    base = posixpath.dirname(from_page) or "/"
    target = to_path
    trailing = target.endswith("/")
    out = posixpath.relpath(target, base)
    if trailing and out != ".":
        out += "/"
    if out == ".":
        out = "./"
    return out


def paragraph(rng, words):
    text = " ".join(rng.choice(TEXT_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


class Site:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.used = set(SECTIONS) | {"search", "private", "old", "docs", "latest"}
        self.folders = []  # (path, depth, parent_path, title)
        self.pages = []  # url paths of content pages (folder indexes end with /)
        self.pages_in = {}  # folder path -> list of page paths (index first)
        self.subfolders = {}  # folder path -> list of folder paths
        self.images = []  # (name, has_2x, has_webp)
        self.queries = []
        self.redirects = []
        self.private = []
        self.files = {}  # url path -> bytes

    # -- structure -------------------------------------------------------------------------
    def plan(self):
        rng = self.rng
        n = max(len(SECTIONS) * 2, self.args.pages)
        folder_count = max(len(SECTIONS), n // 16)
        for name in SECTIONS:
            self._add_folder(f"/{name}/", 1, "/")
        while len(self.folders) < folder_count:
            parent = rng.choice([f for f in self.folders if f[1] < 4])
            self._add_folder(parent[0] + slugify(rng, self.used) + "/", parent[1] + 1, parent[0])
        # Each folder has its index page; the remaining pages are spread over folders.
        remaining = n - 1 - len(self.folders)  # the home page counts too
        counter = 0
        for _ in range(max(0, remaining)):
            folder = rng.choice(self.folders)[0]
            counter += 1
            if self.args.numbered:
                name = f"page-{counter}.html"
            else:
                name = slugify(rng, self.used) + ".html"
            self.pages_in[folder].append(folder + name)
        self.pages = ["/"] + [p for f in self.folders for p in self.pages_in[f[0]]]
        for i in range(max(40, n // 4)):
            name = f"figure-{i + 1}" if self.args.numbered else slugify(rng, self.used)
            self.images.append((name, rng.random() < 0.4, rng.random() < 0.15))
        self.queries = ["/search.html?q=" + slugify(rng, self.used) for _ in range(min(80, max(10, n // 50)))]
        self.queries += [f"/changelog/?page={i}" for i in range(2, 9)]
        targets = rng.sample(self.pages[1:], min(5, len(self.pages) - 1))
        self.redirects = [("/docs/", 301, "/guide/"), ("/latest/", 302, "/changelog/")]
        for target in targets:
            self.redirects.append(("/old/" + slugify(rng, self.used) + ".html", 301, target))
        self.private = [f"/private/{slugify(rng, self.used)}.html" for _ in range(3)]

    def _add_folder(self, path, depth, parent):
        title = path.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").title()
        self.folders.append((path, depth, parent, title))
        self.pages_in[path] = [path]
        self.subfolders.setdefault(parent, []).append(path)
        self.subfolders.setdefault(path, [])

    # -- assets ----------------------------------------------------------------------------
    def assets(self, origin):
        rng = self.rng
        f = self.files
        f["/_static/fonts/lato-regular.woff2"] = rng.randbytes(rng.randint(30_000, 60_000))
        f["/_static/fonts/lato-regular.woff"] = rng.randbytes(rng.randint(40_000, 80_000))
        f["/_static/fonts/lato-bold.woff2"] = rng.randbytes(rng.randint(30_000, 60_000))
        f["/_static/fonts/lato-bold.woff"] = rng.randbytes(rng.randint(40_000, 80_000))
        f["/_static/fonts/mono.woff2"] = rng.randbytes(rng.randint(20_000, 40_000))
        f["/_static/img/background.png"] = png_bytes(rng, 12_000)
        f["/_static/img/logo.png"] = png_bytes(rng, 6_000)
        for icon in ("search", "menu", "external", "copy"):
            f[f"/_static/img/{icon}.svg"] = (
                '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
                f'<title>{icon}</title><path d="M1 1h14v14H1z"/></svg>\n'
            ).encode()
        f["/_static/css/fonts.css"] = (
            "/* web fonts */\n"
            "@font-face { font-family: Lato; font-weight: 400;\n"
            '  src: url("../fonts/lato-regular.woff2") format("woff2"), url(../fonts/lato-regular.woff) format("woff"); }\n'
            "@font-face { font-family: Lato; font-weight: 700;\n"
            "  src: url('../fonts/lato-bold.woff2') format('woff2'), url(../fonts/lato-bold.woff) format('woff'); }\n"
            '@font-face { font-family: Mono; src: url(../fonts/mono.woff2) format("woff2"); }\n'
        ).encode()
        rules = "".join(
            f".c-{slugify(rng, self.used)} {{ margin: {rng.randint(0, 9)}px; color: #{rng.randrange(0x1000000):06x}; }}\n"
            for _ in range(300)
        )
        f["/_static/css/theme.css"] = (
            '@import url("fonts.css");\n'
            "body { font-family: Lato, sans-serif; background: #fff url(../img/background.png) repeat-x; }\n"
            ".logo { background-image: url('../img/logo.png'); }\n"
            ".search-icon { background: url(../img/search.svg) no-repeat; }\n"
            ".menu-icon { background: url(\"../img/menu.svg\"); }\n"
            "a.external::after { content: url(../img/external.svg); }\n"
            ".copy { background: url(/_static/img/copy.svg); }\n"
            "code, pre { font-family: Mono, monospace; }\n" + rules
        ).encode()
        f["/_static/css/pygments.css"] = "".join(
            f".highlight .{c} {{ color: #{rng.randrange(0x1000000):06x}; }}\n" for c in "abcdefghijklmnopqrstuvwxyz"
        ).encode()
        for js in ("jquery", "doctools", "theme"):
            body = "".join(f"function f_{slugify(rng, self.used).replace('-', '_')}(x) {{ return x; }}\n" for _ in range(200))
            f[f"/_static/js/{js}.js"] = f"/* {js} */\n{body}".encode()
        f["/favicon.ico"] = png_bytes(rng, 1_000)
        for name, has_2x, has_webp in self.images:
            size = int(rng.choice([2_000, 5_000, 9_000, 15_000, 30_000, 60_000]) * rng.uniform(0.7, 1.3))
            f[f"/_images/{name}.png"] = png_bytes(rng, size)
            if has_2x:
                f[f"/_images/{name}@2x.png"] = png_bytes(rng, size * 3)
            if has_webp:
                f[f"/_images/{name}.webp"] = rng.randbytes(size // 2)
        disallow = "Disallow: /private/\n"
        f["/robots.txt"] = f"User-agent: *\n{disallow}\nSitemap: {origin}/sitemap.xml\n".encode()
        urls = "".join(f"  <url><loc>{origin}{p}</loc></url>\n" for p in self.pages)
        f["/sitemap.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
        ).encode()

    # -- pages -----------------------------------------------------------------------------
    def page_html(self, path, title, body_links, here):
        """A page at URL path `here`; `here=None` links everything root-relative, as the 404
        page must (it is served at any missing address, where relative links would resolve
        into ever deeper missing folders: a soft-404 trap no real site keeps for long)."""
        rng = self.rng

        def rel(page, to):
            return to if page is None else rel_path(page, to)

        css = ["/_static/css/theme.css", "/_static/css/pygments.css"]
        head = "".join(
            f'  <link rel="stylesheet" href="{rel(here, c) if i else c}">\n' for i, c in enumerate(css)
        )
        scripts = "".join(f'  <script src="{rel(here, f"/_static/js/{j}.js")}"></script>\n' for j in ("jquery", "doctools", "theme"))
        parts = [
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n",
            f"  <title>{title} — Benchdocs</title>\n",
            '  <link rel="icon" href="/favicon.ico">\n',
            head,
            scripts,
            "</head>\n<body>\n",
            f'<header><a class="logo" href="{rel(here, "/")}">Benchdocs</a>'
            f' <a class="search-icon" href="{rel(here, "/search.html")}">Search</a></header>\n',
        ]
        parts.append(body_links)
        parts.append(f"<main>\n<h1 id=\"top\">{title}</h1>\n")
        for section in range(rng.randint(3, 6)):
            parts.append(f'<h2 id="s{section}">{paragraph(rng, 4)[:-1]}</h2>\n')
            for _ in range(rng.randint(1, 3)):
                parts.append(f"<p>{paragraph(rng, rng.randint(30, 90))}</p>\n")
            if rng.random() < 0.3:
                parts.append(f"<pre><code>{paragraph(rng, 12)}</code></pre>\n")
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            name, has_2x, has_webp = rng.choice(self.images)
            src = rel(here, f"/_images/{name}.png")
            if has_webp:
                parts.append(
                    f'<picture><source srcset="{rel(here, f"/_images/{name}.webp")}" type="image/webp">'
                    f'<img src="{src}" alt="{name}"></picture>\n'
                )
            elif has_2x:
                parts.append(f'<img src="{src}" srcset="{src} 1x, {rel(here, f"/_images/{name}@2x.png")} 2x" alt="{name}">\n')
            else:
                parts.append(f'<img src="{src}" alt="{name}" loading="lazy">\n')
        parts.append('<p><a href="#top">Back to top</a></p>\n</main>\n')
        parts.append('<footer>Benchdocs, a synthetic site. <a href="mailto:docs@example.invalid">Contact</a></footer>\n')
        parts.append("</body>\n</html>\n")
        return "".join(parts)

    def nav(self, here, folder):
        rng = self.rng
        crumbs = ['<nav class="breadcrumbs"><a href="/">Home</a>']
        walk = folder
        chain = []
        while walk not in ("/", ""):
            chain.append(walk)
            walk = next(f[2] for f in self.folders if f[0] == walk)
        for crumb in reversed(chain):
            label = crumb.rstrip("/").rsplit("/", 1)[-1]
            crumbs.append(f' / <a href="{crumb}">{label}</a>')
        crumbs.append("</nav>\n")
        side = ['<nav class="sidebar"><ul>\n']
        for p in self.pages_in.get(folder, []) + self.subfolders.get(folder, []):
            if p == here:
                continue
            side.append(f'  <li><a href="{rel_path(here, p)}">{p.rstrip("/").rsplit("/", 1)[-1]}</a></li>\n')
        side.append("</ul></nav>\n")
        extra = ['<aside class="see-also"><ul>\n']
        for p in rng.sample(self.pages, min(3, len(self.pages))):
            extra.append(f'  <li><a href="{rel_path(here, p)}">{p}</a></li>\n')
        if rng.random() < 0.1:
            q = rng.choice(self.queries)
            extra.append(f'  <li><a href="{q}">{q}</a></li>\n')
        if rng.random() < 0.02:
            old = rng.choice(self.redirects)[0]
            extra.append(f'  <li><a href="{old}">old address</a></li>\n')
        if rng.random() < 0.01:
            extra.append(f'  <li><a href="{rng.choice(self.private)}">internal notes</a></li>\n')
        extra.append("</ul></aside>\n")
        return "".join(crumbs + side + extra)

    def prev_next(self, here, folder):
        siblings = self.pages_in.get(folder, [])
        if here not in siblings:
            return ""
        i = siblings.index(here)
        out = ['<nav class="pager">']
        if i > 0:
            out.append(f'<a rel="prev" href="{rel_path(here, siblings[i - 1])}">Previous</a> ')
        if i + 1 < len(siblings):
            out.append(f'<a rel="next" href="{rel_path(here, siblings[i + 1])}">Next</a>')
        out.append("</nav>\n")
        return "".join(out)

    def render(self):
        f = self.files
        home_links = ['<nav class="sections"><ul>\n']
        for name in SECTIONS:
            home_links.append(f'  <li><a href="{name}/">{name}</a></li>\n')
        home_links.append('  <li><a href="docs/">Docs (old address)</a></li>\n')
        home_links.append('  <li><a href="latest/">Latest release</a></li>\n')
        home_links.append('  <li><a href="guide/no-such-page.html">A page that was removed</a></li>\n')
        home_links.append(f'  <li><a href="{self.private[0][1:]}">Internal notes</a></li>\n')
        home_links.append('  <li><a href="sitemap.xml">Sitemap</a></li>\n')
        home_links.append("</ul></nav>\n")
        f["/index.html"] = self.page_html("/", "Home", "".join(home_links), "/").encode()
        for folder, _depth, _parent, title in self.folders:
            for page in self.pages_in[folder]:
                links = self.nav(page, folder) + self.prev_next(page, folder)
                if page == "/changelog/":
                    links += "".join(f'<a href="?page={i}">{i}</a> ' for i in range(2, 9))
                name = title if page == folder else page.rsplit("/", 1)[-1][:-5].replace("-", " ").title()
                path = page + "index.html" if page.endswith("/") else page
                f[path] = self.page_html(page, name, links, page).encode()
        f["/search.html"] = self.page_html("/search.html", "Search", self.nav("/search.html", "/"), "/search.html").encode()
        for p in self.private:
            f[p] = self.page_html(p, "Private", "", p).encode()
        f["/404.html"] = self.page_html("/404.html", "Not found", "", None).encode()


class NumberedSite:
    """`--shape numbered`: sections of chapters of numbered pages; see the module comment."""

    PAGES_PER_CHAPTER = 50
    CHAPTERS_PER_SECTION = 20

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        n = args.pages
        if args.urls:
            n = max(1, args.urls // 3)
        self.n = n
        self.width = max(5, len(str(n)))
        chapters = -(-n // self.PAGES_PER_CHAPTER)
        self.sections = -(-chapters // self.CHAPTERS_PER_SECTION)
        self.sec_width = max(2, len(str(self.sections)))
        self.paragraphs = [paragraph(self.rng, self.rng.randint(40, 110)) for _ in range(400)]
        # A few noise images of different sizes; each figure gets its own tEXt chunk, so every
        # figure has its own payload (no two are duplicates a crawler could skip).
        self.png_pool = [self._png_parts(size) for size in (900, 1_800, 3_000, 5_000, 9_000)]

    def _png_parts(self, size):
        whole = png_bytes(self.rng, size)
        return whole[:33], whole[33:]  # signature + IHDR, then IDAT + IEND

    def _png(self, label):
        head, tail = self.rng.choice(self.png_pool)
        data = b"Comment\x00" + label.encode()
        body = b"tEXt" + data
        chunk = struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
        return head + chunk + tail

    def page_path(self, i):
        """URL path of page `i` (1-based)."""
        chapter = (i - 1) // self.PAGES_PER_CHAPTER
        sec = chapter // self.CHAPTERS_PER_SECTION + 1
        ch = chapter % self.CHAPTERS_PER_SECTION + 1
        return f"/docs/sec{sec:0{self.sec_width}}/ch{ch:02}/p{i:0{self.width}}.html"

    def head(self, title):
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n"
            f"  <title>{title} — Numbered manual</title>\n"
            '  <link rel="icon" href="/favicon.ico">\n'
            '  <link rel="stylesheet" href="/static/manual.css">\n'
            '  <script src="/static/manual.js"></script>\n'
            "</head>\n<body>\n"
            '<header><a href="/">Manual</a> <a href="/docs/">Contents</a></header>\n'
        )

    def generate(self, root, origin):
        rng = self.rng
        count = {"files": 0, "bytes": 0, "pages": 0, "figures": 0, "indexes": 0}

        def write(path, data):
            target = os.path.join(root, path.lstrip("/"))
            if path.endswith("/"):
                target = os.path.join(target, "index.html")
            with open(target, "wb") as fh:
                fh.write(data)
            count["files"] += 1
            count["bytes"] += len(data)

        os.makedirs(os.path.join(root, "static"), exist_ok=True)
        write("/static/manual.css", (
            "@font-face { font-family: Body; src: url(fonts/body.woff2) format(\"woff2\"); }\n"
            "body { font-family: Body, serif; background: url(bg.png) repeat-x; }\n"
            + "".join(f".c{i} {{ margin: {i % 9}px; }}\n" for i in range(200))
        ).encode())
        os.makedirs(os.path.join(root, "static", "fonts"), exist_ok=True)
        write("/static/fonts/body.woff2", rng.randbytes(40_000))
        write("/static/bg.png", png_bytes(rng, 6_000))
        write("/static/manual.js", "".join(f"function f{i}(x) {{ return x + {i}; }}\n" for i in range(300)).encode())
        write("/favicon.ico", png_bytes(rng, 1_000))
        write("/robots.txt", f"User-agent: *\nDisallow:\n\nSitemap: {origin}/sitemap.xml\n".encode())
        write("/404.html", (self.head("Not found") + "<main><h1>Not found</h1></main>\n</body>\n</html>\n").encode())
        sections = []
        for s in range(1, self.sections + 1):
            first_chapter = (s - 1) * self.CHAPTERS_PER_SECTION
            chapters = []
            for c in range(1, self.CHAPTERS_PER_SECTION + 1):
                first = (first_chapter + c - 1) * self.PAGES_PER_CHAPTER + 1
                if first > self.n:
                    break
                chapters.append((c, first, min(self.n, first + self.PAGES_PER_CHAPTER - 1)))
            sections.append((s, chapters))
        home = self.head("Home") + '<main><h1>Manual</h1><p><a href="docs/">Contents</a></p></main>\n</body>\n</html>\n'
        write("/index.html", home.encode())
        toc = [self.head("Contents"), "<main><h1>Contents</h1><ul>\n"]
        for s, _ in sections:
            toc.append(f'  <li><a href="sec{s:0{self.sec_width}}/">Section {s}</a></li>\n')
        toc.append("</ul></main>\n</body>\n</html>\n")
        os.makedirs(os.path.join(root, "docs"), exist_ok=True)
        write("/docs/", "".join(toc).encode())
        count["indexes"] += 1
        for s, chapters in sections:
            sec_dir = f"/docs/sec{s:0{self.sec_width}}/"
            os.makedirs(os.path.join(root, sec_dir.strip("/")), exist_ok=True)
            out = [self.head(f"Section {s}"), f"<main><h1>Section {s}</h1><ul>\n"]
            for c, first, last in chapters:
                out.append(f'  <li><a href="ch{c:02}/">Chapter {c}</a> (pages {first}–{last})</li>\n')
            out.append('</ul><p><a href="../">Contents</a></p></main>\n</body>\n</html>\n')
            write(sec_dir, "".join(out).encode())
            count["indexes"] += 1
            for c, first, last in chapters:
                ch_dir = f"{sec_dir}ch{c:02}/"
                os.makedirs(os.path.join(root, ch_dir.strip("/")), exist_ok=True)
                fig_dir = "/figures" + ch_dir[len("/docs"):]
                os.makedirs(os.path.join(root, fig_dir.strip("/")), exist_ok=True)
                out = [self.head(f"Chapter {s}.{c}"), f"<main><h1>Chapter {s}.{c}</h1><ol>\n"]
                for i in range(first, last + 1):
                    out.append(f'  <li><a href="p{i:0{self.width}}.html">Page {i}</a></li>\n')
                out.append('</ol><p><a href="../">Section</a></p></main>\n</body>\n</html>\n')
                write(ch_dir, "".join(out).encode())
                count["indexes"] += 1
                for i in range(first, last + 1):
                    write(self.page_path(i), self.page(i, s, c, fig_dir).encode())
                    count["pages"] += 1
                    for side in "ab":
                        write(f"{fig_dir}p{i:0{self.width}}-{side}.png", self._png(f"figure {i}{side}"))
                        count["figures"] += 1
        urls = "".join(f"  <url><loc>{origin}/docs/sec{s:0{self.sec_width}}/</loc></url>\n" for s, _ in sections)
        write("/sitemap.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
        ).encode())
        return count

    def page(self, i, s, c, fig_dir):
        rng = self.rng
        name = f"p{i:0{self.width}}"
        parts = [self.head(f"Page {i}"), '<nav class="crumbs"><a href="/docs/">Contents</a> / <a href="../">Section ',
                 f'{s}</a> / <a href="./">Chapter {c}</a></nav>\n<nav class="pager">']
        if i > 1:
            parts.append(f'<a rel="prev" href="{rel_path(self.page_path(i), self.page_path(i - 1))}">Previous</a> ')
        if i < self.n:
            parts.append(f'<a rel="next" href="{rel_path(self.page_path(i), self.page_path(i + 1))}">Next</a>')
        parts.append(f'</nav>\n<main>\n<h1 id="top">Page {i}</h1>\n')
        for k in range(rng.randint(3, 6)):
            parts.append(f'<h2 id="s{k}">Part {k + 1}</h2>\n<p>{rng.choice(self.paragraphs)}</p>\n<p>{rng.choice(self.paragraphs)}</p>\n')
            if k == 1:
                parts.append(f'<figure><img src="{fig_dir}{name}-a.png" alt="Figure {i}a"></figure>\n')
            if k == 2:
                parts.append(f'<figure><img src="../../../figures/sec{s:0{self.sec_width}}/ch{c:02}/{name}-b.png" alt="Figure {i}b"></figure>\n')
        parts.append('<aside class="see-also"><ul>\n')
        for _ in range(3):
            j = rng.randint(1, self.n)
            parts.append(f'  <li><a href="{self.page_path(j)}">Page {j}</a></li>\n')
        parts.append('</ul></aside>\n<p><a href="#top">Back to top</a></p>\n</main>\n</body>\n</html>\n')
        return "".join(parts)


def main_numbered(args):
    site = NumberedSite(args)
    root = os.path.join(args.out, "root")
    os.makedirs(root, exist_ok=True)
    count = site.generate(root, args.origin.rstrip("/"))
    with open(os.path.join(args.out, "redirects.json"), "w") as fh:
        json.dump([], fh)
    with open(os.path.join(args.out, "redirects.nginx.conf"), "w") as fh:
        fh.write("# no redirects in the numbered shape\n")
    counts = {
        "shape": "numbered",
        "pages": count["pages"],
        "indexes": count["indexes"],
        "images": count["figures"],
        "files": count["files"],
        "bytes": count["bytes"],
    }
    with open(os.path.join(args.out, "site.json"), "w") as fh:
        json.dump(counts, fh, indent=1)
    print(json.dumps(counts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder (root/ and server files go there)")
    ap.add_argument("--pages", type=int, default=2000, help="number of content pages [default: 2000]")
    ap.add_argument("--seed", type=int, default=1, help="random seed [default: 1]")
    ap.add_argument("--origin", required=True, help="http://127.0.0.1:PORT, for robots.txt and sitemap.xml")
    ap.add_argument("--numbered", action="store_true", help="name pages page-<n>.html and images figure-<n>.png instead of word slugs")
    ap.add_argument("--shape", choices=["docs", "numbered"], default="docs",
                    help="docs: a nested documentation site; numbered: /docs/secNN/chNN/pNNNNN.html pages [default: docs]")
    ap.add_argument("--urls", type=int, default=0,
                    help="with --shape numbered: about this many URLs instead of --pages pages (three per page) [default: 0]")
    args = ap.parse_args()
    if args.shape == "numbered":
        main_numbered(args)
        return
    site = Site(args)
    site.plan()
    site.assets(args.origin.rstrip("/"))
    site.render()
    root = os.path.join(args.out, "root")
    total = 0
    for path, data in sorted(site.files.items()):
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(data)
        total += len(data)
    with open(os.path.join(args.out, "redirects.json"), "w") as fh:
        json.dump(site.redirects, fh, indent=1)
    with open(os.path.join(args.out, "redirects.nginx.conf"), "w") as fh:
        for src, status, dst in site.redirects:
            fh.write(f"location = {src} {{ return {status} {dst}; }}\n")
    counts = {
        "pages": len(site.pages),
        "folders": len(site.folders),
        "images": sum(1 for p in site.files if p.startswith("/_images/")),
        "query_urls": len(site.queries),
        "redirects": len(site.redirects),
        "robots_disallowed_pages": len(site.private),
        "files": len(site.files),
        "bytes": total,
    }
    with open(os.path.join(args.out, "site.json"), "w") as fh:
        json.dump(counts, fh, indent=1)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
