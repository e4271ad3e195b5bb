#!/usr/bin/env python3
"""Measure one benchmark run: time and memory from `/usr/bin/time -v`, what the tool saved, and
what `arkiv verify --mirror-only` finds in its mirror. Prints one JSON object (stdlib only).

Usage: measure.py --kind K --tool T --scenario S --repeat R --run-dir DIR --origin URL --arkiv BIN
                  [--requests N] [--exit-code C] [--label L] [--urls FILE]
A one-line summary goes to stderr for the person watching.

Kinds (bench/run's round_extras runs all but `crawl` on the `arkiv` run's output, DIR/out):
  crawl    a crawler's whole command (DIR/time.txt)
  mirror   `arkiv mirror DIR/out`, the rebuild from the WARC (DIR/time-mirror.txt): payload bytes
           (the archived files the mirror wrote, as manifest.jsonl lists them) per second, and
           whether the rebuild is byte-identical to the crawl's mirror (the manifests' digests)
  inflate  `gzip -dc` over the same WARC files (DIR/time-inflate.txt): the floor any reader of
           the WARC pays, in the same payload bytes per second
  check    a link checker on DIR/out/mirror (DIR/time-LABEL.txt): its findings
  ceiling  wrk over the URL list of the arkiv run (DIR/stdout-LABEL.txt): requests and seconds

Where each tool leaves what (the run dir as bench/run lays it out):
  arkiv, arkiv-ph1  DIR/out/ (reports/summary.json, mirror/)
  wget              DIR/wget.warc.gz, DIR/mirror/
  httrack           DIR/mirror/ (hts-cache/new.txt lists each URL it fetched)
"""

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import urllib.parse


def parse_time(path):
    """Wall seconds, user+system CPU seconds and peak RSS (KiB) from `time -v` output."""
    text = open(path, encoding="utf-8", errors="replace").read()

    def field(name):
        m = re.search(re.escape(name) + r":\s*(.+)", text)
        return m.group(1).strip() if m else None

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)") or "0:0"
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    cpu = float(field("User time (seconds)") or 0) + float(field("System time (seconds)") or 0)
    rss = int(field("Maximum resident set size (kbytes)") or 0)
    return seconds, cpu, rss


def switches(path):
    """Voluntary and involuntary context switches from `time -v` output (thread hand-offs)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {}
    for key, name in (("vcsw", "Voluntary context switches"), ("ivcsw", "Involuntary context switches")):
        m = re.search(re.escape(name) + r":\s*(\d+)", text)
        out[key] = int(m.group(1)) if m else None
    return out


def count_files(folder):
    total = 0
    for _dirpath, _dirs, files in os.walk(folder):
        total += len(files)
    return total


def warc_records(path):
    """Count response and revisit records in a (multi-member) gzipped WARC."""
    counts = {"response": 0, "revisit": 0}
    if not os.path.exists(path):
        return counts
    with gzip.open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"WARC-Type: "):
                kind = line[len(b"WARC-Type: "):].strip().decode("ascii", "replace")
                if kind in counts:
                    counts[kind] += 1
    return counts


def host_dirs(origin):
    """How each tool names the site's folder in its mirror."""
    parts = urllib.parse.urlsplit(origin)
    host, port = parts.hostname, parts.port
    return {"arkiv": f"{host}+{port}", "wget": f"{host}:{port}", "httrack": f"{host}_{port}"}


def verify(arkiv, folder, origin):
    """Run `arkiv verify --mirror-only` and count broken local links and links to the live site."""
    proc = subprocess.run(
        [arkiv, "-q", "verify", "--mirror-only", "--format", "json", folder],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"verify_error": (proc.stderr or proc.stdout)[-500:]}
    findings = report.get("findings", [])
    broken = [f for f in findings if f.get("check") == "links" and f.get("message", "").startswith("broken link")]
    live = [u for u in report.get("external_links", []) if u.startswith(origin)]
    # What kind of file the broken links miss, by the missing file's extension.
    by_kind = {}
    for f in broken:
        m = re.search(r"\(no file (.+)\)$", f.get("message", ""))
        ext = os.path.splitext(m.group(1))[1] if m else ""
        by_kind[ext or "(other)"] = by_kind.get(ext or "(other)", 0) + 1
    return {
        "broken_links": len(broken),
        "broken_by_kind": by_kind,
        "broken_examples": [f"{f.get('file')}:{f.get('line')}: {f.get('message')}" for f in broken[:3]],
        "verify_errors": report.get("counts", {}).get("errors", 0),
        "live_links": len(live),
        "live_examples": live[:3],
        "html_files": report.get("counts", {}).get("html_files", 0),
        "references": report.get("counts", {}).get("references", 0),
    }


def payload_bytes(out):
    """Bytes of the archived files the mirror wrote (decoded bodies, rewritten where HTML/CSS)."""
    total = 0
    try:
        with open(os.path.join(out, "manifest.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                entry = json.loads(line)
                if entry.get("kind") == "archived":
                    try:
                        total += os.path.getsize(os.path.join(out, "mirror", entry["path"]))
                    except OSError:
                        pass
    except OSError:
        return None
    return total


def warc_bytes(out):
    folder = os.path.join(out, "warc")
    try:
        return sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
    except OSError:
        return None


def manifest_digests(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return sorted((e["path"], e["sha1"]) for e in map(json.loads, fh) if e.get("path"))
    except (OSError, ValueError, KeyError):
        return None


def checker_findings(label, run):
    """What a link checker reported: arkiv's findings (and broken links), lychee's errors."""
    if label == "lychee":
        try:
            report = json.load(open(os.path.join(run, "lychee.json")))
        except (OSError, json.JSONDecodeError) as err:
            return {"note": f"no lychee report: {err}"}
        errors = report.get("errors", report.get("fails", 0))
        examples = []
        for source, fails in (report.get("error_map") or report.get("fail_map") or {}).items():
            for fail in fails[:1]:
                examples.append(f"{os.path.relpath(source, run)}: {fail.get('url')}")
            if len(examples) >= 3:
                break
        return {
            "findings": errors,
            "links_checked": report.get("total"),
            "examples": examples,
        }
    try:
        report = json.load(open(os.path.join(run, f"stdout-{label}.txt")))
    except (OSError, json.JSONDecodeError) as err:
        return {"note": f"no arkiv verify report: {err}"}
    findings = report.get("findings", [])
    broken = [f for f in findings if f.get("message", "").startswith("broken link")]
    return {
        "findings": len(findings),
        "broken_links": len(broken),
        "links_checked": report.get("counts", {}).get("references"),
        "examples": [f"{f.get('file')}:{f.get('line')}: {f.get('message')}" for f in findings[:3]],
    }


def wrk_figures(label, run, urls):
    """Responses and seconds from bench/wrk_urls.lua's line (`wrk_urls: 30220 responses in 4.12 s`)."""
    text = open(os.path.join(run, f"stdout-{label}.txt"), encoding="utf-8", errors="replace").read()
    m = re.search(r"wrk_urls: (\d+) responses in ([\d.]+) s", text)
    if not m:
        return {"note": "no wrk_urls line: " + text[-300:]}
    seconds = float(m.group(2))
    listed = sum(1 for line in open(urls) if line.strip())
    return {"requests": int(m.group(1)), "urls_listed": listed, "wall_s": seconds,
            "requests_per_s": int(m.group(1)) / seconds if seconds else None}


def main_extra(args):
    run = args.run_dir
    out = os.path.join(run, "out")
    label = args.label or args.kind
    wall, cpu, rss = parse_time(os.path.join(run, f"time-{label}.txt"))
    result = {
        "scenario": args.scenario,
        "repeat": args.repeat,
        "kind": args.kind,
        "tool": args.tool,
        "exit_code": args.exit_code,
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_kib": rss,
        "load1": float(open("/proc/loadavg").read().split()[0]),
    }
    result.update(switches(os.path.join(run, f"time-{label}.txt")))
    if args.kind in ("mirror", "inflate"):
        payload = payload_bytes(out)
        result["payload_bytes"] = payload
        result["warc_bytes"] = warc_bytes(out)
        result["payload_mb_per_s"] = payload / 1e6 / wall if payload and wall else None
        if args.kind == "mirror":
            before = manifest_digests(os.path.join(run, "manifest-crawl.jsonl"))
            after = manifest_digests(os.path.join(out, "manifest.jsonl"))
            result["identical_to_crawl"] = before == after if before else None
    elif args.kind == "check":
        result.update(checker_findings(label, run))
    elif args.kind == "ceiling":
        # The script's clock (first request to last response), not time -v's, which includes
        # reading the URL list.
        result.update(wrk_figures(label, run, args.urls))
    print(json.dumps(result))
    summary = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()
                        if k in ("wall_s", "payload_mb_per_s", "findings", "requests", "identical_to_crawl"))
    print(f"bench: {args.scenario} {args.tool} #{args.repeat}: {summary}, {rss / 1024:.0f} MiB, exit {args.exit_code}",
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["crawl", "mirror", "inflate", "check", "ceiling"], default="crawl")
    ap.add_argument("--label", help="names the run's time-LABEL.txt (check, ceiling)")
    ap.add_argument("--urls", help="the URL list wrk went through (ceiling)")
    ap.add_argument("--tool", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--repeat", type=int, required=True)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--origin", required=True)
    ap.add_argument("--arkiv", required=True)
    ap.add_argument("--requests", type=int, default=0)
    ap.add_argument("--exit-code", type=int, default=0)
    args = ap.parse_args()
    if args.kind != "crawl":
        main_extra(args)
        return
    run = args.run_dir
    origin = args.origin.rstrip("/")
    wall, cpu, rss = parse_time(os.path.join(run, "time.txt"))
    result = {
        "scenario": args.scenario,
        "repeat": args.repeat,
        "kind": "crawl",
        "tool": args.tool,
        "exit_code": args.exit_code,
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_kib": rss,
        "requests": args.requests,
        # The machine is shared: the 1-minute load average right after the run tells which
        # runs had company.
        "load1": float(open("/proc/loadavg").read().split()[0]),
    }
    result.update(switches(os.path.join(run, "time.txt")))
    dirs = host_dirs(origin)
    if args.tool.startswith("arkiv"):
        summary_path = os.path.join(run, "out", "reports", "summary.json")
        try:
            summary = json.load(open(summary_path))
            outcomes = summary.get("by_outcome", {})
            result["urls_archived"] = sum(
                n for k, n in outcomes.items() if k.startswith("archived") or k == "revisit"
            )
            result["declined"] = {k: n for k, n in outcomes.items() if not (k.startswith("archived") or k == "revisit")}
        except (OSError, json.JSONDecodeError) as err:
            result["urls_archived"] = None
            result["note"] = f"no summary.json: {err}"
        mirror = os.path.join(run, "out", "mirror")
        site = os.path.join(mirror, dirs["arkiv"])
    elif args.tool == "wget":
        records = warc_records(os.path.join(run, "wget.warc.gz"))
        result["urls_archived"] = records["response"] + records["revisit"]
        mirror = os.path.join(run, "mirror")
        site = os.path.join(mirror, dirs["wget"])
    else:
        # HTTrack writes no WARC; its cache index lists one line per URL it fetched (header first).
        new_txt = os.path.join(run, "mirror", "hts-cache", "new.txt")
        try:
            with open(new_txt, encoding="utf-8", errors="replace") as fh:
                result["urls_archived"] = max(0, sum(1 for _ in fh) - 1)
        except OSError:
            result["urls_archived"] = None
        mirror = os.path.join(run, "mirror")
        site = os.path.join(mirror, dirs["httrack"])
    result["site_files"] = count_files(site)
    result["mirror_files"] = count_files(mirror)
    result.update(verify(args.arkiv, mirror, origin))
    print(json.dumps(result))
    print(
        f"bench: {args.scenario} {args.tool} #{args.repeat}: {wall:.2f} s, {rss / 1024:.0f} MiB, "
        f"{result.get('urls_archived')} URLs, {result.get('broken_links')} broken links, exit {args.exit_code}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
