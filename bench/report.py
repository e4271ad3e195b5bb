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
    "arkiv-ph1": "arkiv --per-host 1 (one connection, like wget)",
    "wget": "wget (one connection)",
    "httrack": "HTTrack -c2 (two connections, like arkiv's default)",
}
SCENARIOS = {
    "nginx": "nginx on loopback",
    "latency": "every response delayed",
    "small": "a small site on nginx, where HTTrack joins",
}


def sh(*cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    out = (proc.stdout or proc.stderr).strip().splitlines()
    return out[0] if out else "not available"


def machine():
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
    }


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{digits}f}"
    return f"{int(value)}" if isinstance(value, float) else str(value)


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
            "broken_by_kind": runs[0].get("broken_by_kind"),
        }
    return out


def table(summary, scenario):
    head = (
        "| tool | wall s | CPU s | peak RSS MiB | requests | URLs archived | site files | broken local links | links left to the live site | exit |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    lines = []
    for (scen, tool), s in summary.items():
        if scen != scenario:
            continue
        lines.append(
            f"| {tool} | {fmt(s['wall_s'])} | {fmt(s['cpu_s'])} | {fmt(s['rss_mib'], 1)} | {fmt(s['requests'])} "
            f"| {fmt(s['urls_archived'])} | {fmt(s['site_files'])} | {fmt(s['broken_links'])} "
            f"| {fmt(s['live_links'])} | {','.join(map(str, s['exit_codes']))} |"
        )
    return head + "\n".join(lines) + "\n"


def ratios(summary, scenario):
    lines = ["| ratio | wall time | CPU time | peak RSS |", "|---|---:|---:|---:|"]
    for ours in ("arkiv", "arkiv-ph1"):
        for peer in ("wget", "httrack"):
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
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    summary = summarise(rows)
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
        "python3": sh("python3", "--version"),
    }
    md = [f"# arkiv vs wget vs HTTrack: {machine()['date (UTC)']} UTC\n"]
    md.append("Written by `bench/run` (see `bench/README.md`); medians of "
              f"{args.repeats} runs per tool and scenario.\n")
    md.append("## Machine\n")
    md += [f"- {k}: {v}" for k, v in machine().items()]
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
        md.append("Ratios (arkiv's median over the peer's; below 1 means arkiv used less):\n")
        md.append(ratios(summary, scenario))
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
        printed.append(f"{title}\n{table(summary, scenario)}\n{ratios(summary, scenario)}")
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
    )
    md.append("## All runs\n")
    md.append("`load` is the machine's 1-minute load average right after the run (2 cores, shared).\n")
    md.append("| scenario | tool | # | wall s | CPU s | RSS MiB | requests | URLs | files | broken | exit | load |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        md.append(
            f"| {r['scenario']} | {r['tool']} | {r['repeat']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} "
            f"| {r['rss_kib'] / 1024:.1f} | {r.get('requests')} | {r.get('urls_archived')} "
            f"| {r.get('site_files')} | {r.get('broken_links')} | {r['exit_code']} | {r.get('load1', '–')} |"
        )
    with open(args.out, "w") as fh:
        fh.write("\n".join(md) + "\n")
    print("\n".join(printed))


if __name__ == "__main__":
    main()
