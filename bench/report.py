#!/usr/bin/env python3
"""Turn the bench's per-run JSON lines into medians, ratios and a Markdown results file, and
print the summary table (stdlib only). Called by bench/run."""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

LABELS = {
    "arkiv": "arkiv (defaults: --per-host 2, --concurrency 16)",
    "arkiv-nomirror": "arkiv --no-mirror (the crawl alone: WARC, CDXJ, state)",
    "arkiv-ph8": "arkiv --per-host 8",
    "arkiv-nofsync": "arkiv under eatmydata (fsync a no-op: a diagnostic of the time spent on durability)",
    "arkiv-ph1": "arkiv --per-host 1 (one connection, like wget)",
    "wget": "wget (one connection)",
    "httrack": "HTTrack -c2 (two connections, like arkiv's default)",
}
SCENARIOS = {
    "nginx": "a generated site on nginx, loopback",
    "rustdoc": "the Rust standard library's documentation on nginx",
    "large": "a large generated site (numbered shape) on nginx",
    "latency": "every response delayed",
    "small": "a small site on nginx, where HTTrack joins",
}
OURS = ("arkiv", "arkiv-nomirror", "arkiv-ph1", "arkiv-ph8", "arkiv-nofsync")
PEERS = ("wget", "httrack")


def sh(*cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    out = (proc.stdout or proc.stderr).strip().splitlines()
    return out[0] if out else "not available"


def machine(sites_dir=None):
    cpu = "unknown"
    mem = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "load average at the end": open("/proc/loadavg").read().split(" ", 3)[:3].__str__(),
        **uptimes(sites_dir),
    }


def uptimes(sites_dir):
    out = {}
    for name, label in (("uptime-start.txt", "uptime before the bench"), ("uptime-end.txt", "uptime after it")):
        try:
            out[label] = "`" + open(os.path.join(sites_dir, name)).read().strip() + "`"
        except (OSError, TypeError):
            pass
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{digits}f}"
    return f"{int(value)}" if isinstance(value, float) else str(value)


def summarise_extras(rows):
    """Medians per (scenario, tool) of what round_extras measured, in run order."""
    groups = {}
    for row in rows:
        groups.setdefault((row["scenario"], row["tool"]), []).append(row)
    out = {}
    for key, runs in groups.items():
        out[key] = {
            "kind": runs[0]["kind"],
            "runs": len(runs),
            "wall_s": median([r["wall_s"] for r in runs]),
            "cpu_s": median([r["cpu_s"] for r in runs]),
            "rss_mib": median([r["rss_kib"] / 1024 for r in runs]),
            "payload_mb": median([(r.get("payload_bytes") or 0) / 1e6 or None for r in runs]),
            "payload_mb_per_s": median([r.get("payload_mb_per_s") for r in runs]),
            "identical": sorted({str(r.get("identical_to_crawl")) for r in runs if "identical_to_crawl" in r}),
            "findings": median([r.get("findings") for r in runs]),
            "broken_links": median([r.get("broken_links") for r in runs]),
            "links_checked": median([r.get("links_checked") for r in runs]),
            "requests": median([r.get("requests") for r in runs]),
            "requests_per_s": median([r.get("requests_per_s") for r in runs]),
            "exit_codes": sorted({r["exit_code"] for r in runs}),
            "examples": runs[0].get("examples", []),
            "notes": sorted({r["note"] for r in runs if r.get("note")}),
        }
    return out


def extras_table(extras, scenario):
    lines = [
        "| measured on arkiv's output | wall s | CPU s | peak RSS MiB | what it did | exit |",
        "|---|---:|---:|---:|---|---|",
    ]
    for (scen, tool), e in extras.items():
        if scen != scenario:
            continue
        if e["kind"] in ("mirror", "inflate"):
            what = f"{fmt(e['payload_mb_per_s'], 1)} MB/s of {fmt(e['payload_mb'], 1)} MB payload"
            if e["kind"] == "mirror":
                what += f"; identical to the crawl's mirror: {','.join(e['identical'])}"
        elif e["kind"] == "check":
            what = f"{fmt(e['findings'])} findings"
            if e["broken_links"] is not None:
                what += f" ({fmt(e['broken_links'])} broken links)"
            if e["links_checked"] is not None:
                what += f", {fmt(e['links_checked'])} links"
        else:
            what = f"{fmt(e['requests'])} requests, {fmt(e['requests_per_s'], 0)}/s"
        if e["notes"]:
            what += " (" + "; ".join(e["notes"])[:200] + ")"
        lines.append(
            f"| {tool} | {fmt(e['wall_s'])} | {fmt(e['cpu_s'])} | {fmt(e['rss_mib'], 1)} | {what} "
            f"| {','.join(map(str, e['exit_codes']))} |"
        )
    return "\n".join(lines) + "\n"


def ratio(a, b):
    return f"{a / b:.3g}" if a and b else "–"


def round_ratios(rows, scenario, ours, peer, key="wall_s", peer_rows=None):
    """Our figure over the peer's within each round (the runs the same load touched), as
    'median (min–max)'; a ratio of medians would mix rounds when the machine's load drifts."""
    mine = {r["repeat"]: r[key] for r in rows if r["scenario"] == scenario and r["tool"] == ours}
    theirs = {r["repeat"]: r[key] for r in (peer_rows or rows) if r["scenario"] == scenario and r["tool"] == peer}
    values = sorted(mine[k] / theirs[k] for k in mine if k in theirs and mine[k] and theirs[k])
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{statistics.median(values):.3g} ({values[0]:.2g}–{values[-1]:.2g})"


def headline(summary, extras, scenarios, rows=(), extra_rows=()):
    """One line per scenario: the figures issue 11's targets are stated in. Ratios are the
    median of the per-round ratios, with their range."""
    lines = [
        "| scenario | URLs archived | arkiv / wget: wall | arkiv / wget: CPU | peak RSS MiB (wget) | `--no-mirror` / wget: wall | peak RSS MiB `--no-mirror` "
        "| ceiling share (wrk -c2 wall / arkiv wall) | `arkiv mirror` MB/s (gzip -dc) | `arkiv verify --mirror-only` / lychee: wall (broken links vs lychee's errors) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        a = summary.get((scenario, "arkiv"))
        if not a:
            continue
        w = summary.get((scenario, "wget")) or {}
        n = summary.get((scenario, "arkiv-nomirror")) or {}
        ceiling = extras.get((scenario, "wrk -c2")) or {}
        mirror = extras.get((scenario, "arkiv mirror")) or {}
        inflate = extras.get((scenario, "gzip -dc")) or {}
        verify = extras.get((scenario, "arkiv verify --mirror-only")) or {}
        lychee = extras.get((scenario, "lychee --offline")) or {}
        rows, extra_rows = list(rows), list(extra_rows)
        share = round_ratios(extra_rows, scenario, "wrk -c2", "arkiv", peer_rows=rows)
        checkers = "–"
        if verify:
            # arkiv's broken links against lychee's errors: lychee checks no fragments, so arkiv's
            # "missing fragment" warnings have no counterpart.
            checkers = (f"{round_ratios(extra_rows, scenario, 'arkiv verify --mirror-only', 'lychee --offline')} "
                        f"({fmt(verify.get('broken_links'))} vs {fmt(lychee.get('findings'))})")
        lines.append(
            f"| {scenario} | {fmt(a['urls_archived'])} | {round_ratios(rows, scenario, 'arkiv', 'wget')} "
            f"| {round_ratios(rows, scenario, 'arkiv', 'wget', 'cpu_s')} "
            f"| {fmt(a['rss_mib'], 1)} ({fmt(w.get('rss_mib'), 1)}) | {round_ratios(rows, scenario, 'arkiv-nomirror', 'wget')} "
            f"| {fmt(n.get('rss_mib'), 1)} | {share} "
            f"| {fmt(mirror.get('payload_mb_per_s'), 0)} ({fmt(inflate.get('payload_mb_per_s'), 0)}) | {checkers} |"
        )
    return "\n".join(lines) + "\n"


def summarise(rows):
    """Medians per (scenario, tool), in run order."""
    groups = {}
    for row in rows:
        groups.setdefault((row["scenario"], row["tool"]), []).append(row)
    out = {}
    for key, runs in groups.items():
        out[key] = {
            "runs": len(runs),
            "wall_s": median([r["wall_s"] for r in runs]),
            "cpu_s": median([r["cpu_s"] for r in runs]),
            "rss_mib": median([r["rss_kib"] / 1024 for r in runs]),
            "requests": median([r.get("requests") for r in runs]),
            "urls_archived": median([r.get("urls_archived") for r in runs]),
            "site_files": median([r.get("site_files") for r in runs]),
            "broken_links": median([r.get("broken_links") for r in runs]),
            "live_links": median([r.get("live_links") for r in runs]),
            "exit_codes": sorted({r["exit_code"] for r in runs}),
            "broken_examples": runs[0].get("broken_examples", []),
            "live_examples": runs[0].get("live_examples", []),
            "declined": runs[0].get("declined"),
            "vcsw": median([r.get("vcsw") for r in runs]),
            "broken_by_kind": runs[0].get("broken_by_kind"),
        }
    return out


def table(summary, scenario):
    head = (
        "| tool | wall s | CPU s | peak RSS MiB | voluntary context switches | requests | URLs archived | site files | broken local links | links left to the live site | exit |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    lines = []
    for (scen, tool), s in summary.items():
        if scen != scenario:
            continue
        lines.append(
            f"| {tool} | {fmt(s['wall_s'])} | {fmt(s['cpu_s'])} | {fmt(s['rss_mib'], 1)} | {fmt(s['vcsw'])} | {fmt(s['requests'])} "
            f"| {fmt(s['urls_archived'])} | {fmt(s['site_files'])} | {fmt(s['broken_links'])} "
            f"| {fmt(s['live_links'])} | {','.join(map(str, s['exit_codes']))} |"
        )
    return head + "\n".join(lines) + "\n"


def ratios(summary, scenario):
    lines = ["| ratio | wall time | CPU time | peak RSS |", "|---|---:|---:|---:|"]
    for ours in OURS:
        for peer in PEERS:
            a, b = summary.get((scenario, ours)), summary.get((scenario, peer))
            if not a or not b:
                continue
            cells = []
            for key in ("wall_s", "cpu_s", "rss_mib"):
                cells.append(f"{a[key] / b[key]:.3g}" if a[key] and b[key] else "–")
            lines.append(f"| {ours} / {peer} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--commands", required=True)
    ap.add_argument("--arkiv", required=True)
    ap.add_argument("--sites", required=True, help="folder holding site-<scenario>.json")
    ap.add_argument("--latency-ms", required=True)
    ap.add_argument("--repeats", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lychee", default="", help="the lychee binary the bench ran, if any")
    args = ap.parse_args()
    everything = [json.loads(line) for line in open(args.results) if line.strip()]
    rows = [r for r in everything if r.get("kind", "crawl") == "crawl"]
    extra_rows = [r for r in everything if r.get("kind", "crawl") != "crawl"]
    summary = summarise(rows)
    extras = summarise_extras(extra_rows)
    sites = {}
    for name in SCENARIOS:
        path = os.path.join(args.sites, f"site-{name}.json")
        try:
            sites[name] = json.load(open(path))
        except (OSError, json.JSONDecodeError):
            pass
    versions = {
        "arkiv": sh(args.arkiv, "--version"),
        "arkiv commit": sh("git", "describe", "--always", "--dirty", "--abbrev=12"),
        "wget": sh("wget", "--version"),
        "httrack": sh("httrack", "--version"),
        "nginx": sh("nginx", "-v"),
        "wrk": sh("wrk", "--version"),
        "lychee": sh(args.lychee, "--version") if args.lychee else "not installed",
        "python3": sh("python3", "--version"),
    }
    md = [f"# arkiv vs wget vs HTTrack: {machine()['date (UTC)']} UTC\n"]
    md.append("Written by `bench/run` (see `bench/README.md`); medians of "
              f"{args.repeats} runs per tool and scenario. The runs themselves are in the "
              "`.jsonl` file beside this one.\n")
    md.append("## Headline\n")
    md.append("Each figure is a ratio to a peer measured in the same round, or a rate; issue 11's "
              "targets: wall ≤ 0.2 of wget's, peak RSS ≤ 64 MiB (10,000 pages) and ≤ 256 MiB "
              "(500,000 URLs), `arkiv mirror` ≥ 150 MB/s, verify ≤ 1/3 of lychee's time with at "
              "least its findings.\n")
    md.append(headline(summary, extras, list(SCENARIOS), rows, extra_rows))
    md.append("## Machine\n")
    md += [f"- {k}: {v}" for k, v in machine(args.sites).items()]
    md.append("\n## Tools\n")
    md += [f"- {k}: `{v}`" for k, v in versions.items()]
    md.append("\n## Sites\n")
    for name, counts in sites.items():
        extra = f", {args.latency_ms} ms before every response (Python threaded server)" if name == "latency" else ", nginx"
        md.append(f"- {name}: `{json.dumps(counts)}`{extra}")
    md.append("\n## Command lines\n")
    md.append("`RUN` is the run's own fresh temp folder; the URL is the scenario's server.\n")
    md.append("```")
    md += [line.rstrip("\n") for line in open(args.commands)]
    md.append("```\n")
    printed = []
    for scenario, title in SCENARIOS.items():
        if not any(s == scenario for s, _ in summary):
            continue
        md.append(f"## {scenario}: {title}\n")
        md.append(table(summary, scenario))
        md.append("Ratios (arkiv's median over the peer's; below 1 means arkiv used less; the headline "
                  "gives the median of the per-round ratios instead):\n")
        md.append(ratios(summary, scenario))
        if any(s == scenario for s, _ in extras):
            md.append("Measured on the `arkiv` run's output in the same round: the mirror rebuilt "
                      "from the WARC, the WARC inflated, the link checkers on the mirror, and the "
                      "load generator over the same URLs:\n")
            md.append(extras_table(extras, scenario))
        notes = []
        for (scen, tool), s in summary.items():
            if scen != scenario:
                continue
            if s["declined"]:
                notes.append(f"- {tool}: URLs seen but not fetched, by reason: `{json.dumps(s['declined'])}`")
            if s["broken_by_kind"]:
                notes.append(f"- {tool}: broken links by the missing file's extension: `{json.dumps(s['broken_by_kind'])}`")
            for example in s["broken_examples"]:
                notes.append(f"- {tool}, a broken link: `` {example} ``")
            for example in s["live_examples"]:
                notes.append(f"- {tool}, a link left to the live site: `` {example} ``")
        if notes:
            md.append("Details (from the first run):\n")
            md += notes
            md.append("")
        printed.append(f"{title}\n{table(summary, scenario)}\n{ratios(summary, scenario)}\n{extras_table(extras, scenario)}")
    md.append("## Columns\n")
    md.append(
        "- wall s, CPU s (user + system), peak RSS: `/usr/bin/time -v` around the whole command "
        "(arkiv's includes building its mirror, wget's its link conversion).\n"
        "- requests: lines in the server's access log during the run.\n"
        "- URLs archived: arkiv's `reports/summary.json` (outcomes `archived*` and `revisit`); "
        "wget's WARC `response` + `revisit` records; HTTrack has no WARC: the URLs in its "
        "`hts-cache/new.txt`.\n"
        "- site files: files in the tool's folder for the site (`127.0.0.1+PORT`, `127.0.0.1:PORT`, "
        "`127.0.0.1_PORT`).\n"
        "- broken local links: `arkiv verify --mirror-only --format json` on the tool's whole "
        "mirror folder, findings `broken link`. Links left to the live site: its external links "
        "that still point at the benchmark server. In arkiv's mirror these are only its \"not archived\" "
        "pages for URLs that robots.txt excluded, which show the original address on purpose; "
        "wget and HTTrack leave such links (and the link to the missing page) pointing at the site.\n"
        "- voluntary context switches: `time -v`; each is a wait (for another thread, the disk, the "
        "network).\n"
        "- measured on arkiv's output: `arkiv mirror` rebuilds the mirror from the WARC (payload: the "
        "archived files it writes, per `manifest.jsonl`; identical: the manifests' SHA-1s equal the "
        "crawl's); `gzip -dc` inflates the same WARC files (the floor for any reader of them); "
        "`arkiv verify --mirror-only` and `lychee --offline` check the same mirror (arkiv's findings "
        "include warnings such as fragments missing in the target page, which lychee does not check; "
        "its broken links compare with lychee's errors, which count each occurrence, arkiv each "
        "file and target once); `wrk -c1`/`-c2` fetch the URLs arkiv requested in that round, one "
        "pass (`bench/wrk_urls.lua`).\n"
        "- ceiling share: wrk's wall time over arkiv's in the same round; 1 would mean arkiv costs "
        "nothing beyond fetching.\n"
    )
    md.append("## All runs\n")
    md.append("`load` is the machine's 1-minute load average right after the run (2 cores, shared).\n")
    md.append("| scenario | tool | # | wall s | CPU s | RSS MiB | requests | URLs | files | broken | exit | load |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in everything:
        md.append(
            f"| {r['scenario']} | {r['tool']} | {r['repeat']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} "
            f"| {r['rss_kib'] / 1024:.1f} | {r.get('requests', '–')} | {r.get('urls_archived', '–')} "
            f"| {r.get('site_files', '–')} | {r.get('broken_links', r.get('findings', '–'))} | {r['exit_code']} | {r.get('load1', '–')} |"
        )
    with open(args.out, "w") as fh:
        fh.write("\n".join(md) + "\n")
    print("Headline\n" + headline(summary, extras, list(SCENARIOS), rows, extra_rows))
    print("\n".join(printed))


if __name__ == "__main__":
    main()
