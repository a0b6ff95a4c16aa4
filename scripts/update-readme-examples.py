#!/usr/bin/env python3
"""Regenerates the metric examples in README.md from real answers.

Writes a demo database with a fixed end time, runs every metric of every pack through
`build/tributary metric` with a fixed asOf, and replaces the text between the
`<!-- metric-examples:begin -->` and `<!-- metric-examples:end -->` markers. Lists are cut to
their first two items so the README stays readable.

Usage: scripts/update-readme-examples.py [BUILD_DIR]
"""
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build")
BINARY = BUILD / "tributary"
AS_OF = "2026-11-21T13:00:00Z"
PARAMS = {
    "hourly_traffic": ["start=2026-11-21", "end=2026-11-21"],
    "tenant_usage": ["start=2026-11-01", "end=2026-11-21"],
    "error_analysis": ["start=2026-11-01", "end=2026-11-21"],
    "token_efficiency": ["start=2026-11-01", "end=2026-11-21"],
    "query_patterns": ["start=2026-11-01", "end=2026-11-21"],
    "daily_traffic": ["days=7"],
    "cost_trend": ["days=7"],
    "usage_heatmap": ["days=7"],
    "sample_logs": ["limit=2"],
    "summary": ["days=7"],
    "daily": ["days=7"],
    "features": ["days=7"],
    "clients": ["days=7"],
    "kpis": ["start=2026-11-15", "end=2026-11-21", "currency=USD"],
    "session_trends": ["start=2026-11-15", "end=2026-11-21"],
    "funnel": ["start=2026-11-01", "end=2026-11-21"],
}


def cut(value):
    if isinstance(value, list):
        return [cut(v) for v in value[:2]]
    if isinstance(value, dict):
        return {k: cut(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 4)
    return value


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        subprocess.run([str(BINARY), "demo-data", "--out", str(data / "demo.duckdb"),
                        "--end", AS_OF], check=True, capture_output=True)
        lines = []
        for pack, metrics in (("llm", ["realtime_kpi", "hourly_traffic", "daily_traffic",
                                       "tenant_usage", "usage_heatmap", "error_analysis",
                                       "token_efficiency", "anomaly_stats", "cost_trend",
                                       "query_patterns", "sample_logs"]),
                              ("web", ["summary", "daily", "features", "clients", "kpis",
                                       "session_trends", "funnel"])):
            for metric in metrics:
                params = PARAMS.get(metric, [])
                args = [str(BINARY), "metric", pack, metric, "--data-dir", str(data),
                        "-p", "asOf=" + AS_OF]
                for p in params:
                    args += ["-p", p]
                out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
                answer = json.loads(out)
                query = "&".join(params)
                lines.append(f"`{pack}/{metric}`" + (f" `?{query}`" if query else "") + ":")
                lines.append("```json")
                lines.append(json.dumps(cut(answer["data"]), ensure_ascii=False,
                                        separators=(",", ":")))
                lines.append("```")
    readme = ROOT / "README.md"
    text = readme.read_text()
    begin = "<!-- metric-examples:begin -->\n"
    end = "<!-- metric-examples:end -->"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + begin + "\n".join(lines) + "\n" + end + tail)


if __name__ == "__main__":
    main()
