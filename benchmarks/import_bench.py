"""Benchmark of analyst imports and reports (issue 7's bars): import a generated 10,000-row CSV
(with validation) and compute the report over the paper plus that import.

    .venv/bin/python benchmarks/import_bench.py [--rows 10000]

Everything happens in a temporary directory (AI45_IMPORTS and AI45_DIST point there); the
project's imports/ and dist/ are not touched. Prints one table of timings; not a test.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TECHNIQUES = ["RLHF", "machine unlearning", "Mechanistic Interpretability", "SFT",
              "Value Reflection", "counterfactual interpretability", "Adversarial Training",
              "Scalable Oversight", "RLAIF", "mental models", "Controllable Generation"]
LEVELS = ["perception", "reasoning", "decision-making", "autonomy", "collaboration"]
GOVERNANCE = ["lifecycle management", "Multi-stakeholders", "governance for good", ""]


def write_csv(path: Path, rows: int, seed: int = 45) -> None:
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["title", "authors", "year", "doi", "arxiv", "url", "techniques", "levels",
                      "governance measures", "note"])
        for i in range(rows):
            out.writerow([
                f"Synthetic study {i} of {rnd.choice(TECHNIQUES).lower()} in large models",
                f"Ada Author{i}; Bo Coauthor{i % 97}; Cy Third{i % 13}",
                rnd.randint(2012, 2025),
                f"10.5555/bench.{i}" if i % 3 else "",
                f"{2300 + i % 100:04d}.{10000 + i:05d}" if i % 3 == 0 else "",
                "",
                ";".join(rnd.sample(TECHNIQUES, rnd.randint(1, 3))),
                rnd.choice(LEVELS),
                rnd.choice(GOVERNANCE),
                "benchmark row",
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ai45-bench-") as tmp:
        root = Path(tmp)
        os.environ["AI45_IMPORTS"] = str(root / "imports")
        os.environ["AI45_DIST"] = str(root / "dist")
        from ai45kg.kg.build import build
        from ai45kg.kg.literature.imports import import_file
        from ai45kg.kg.reports import compute_report, open_runner

        rows: list[tuple[str, float]] = []
        source = root / "bench.csv"
        t = time.perf_counter()
        write_csv(source, args.rows)
        rows.append((f"generate {args.rows}-row CSV", time.perf_counter() - t))
        t = time.perf_counter()
        build(root / "dist")
        rows.append(("build dist/ of the paper alone (before)", time.perf_counter() - t))

        cpu = time.process_time()
        summary = import_file(source, "bench", dist=root / "dist")
        cpu = time.process_time() - cpu
        for phase in ("read", "check", "graph", "validate", "write"):
            rows.append((f"import: {phase}", summary.seconds.get(phase, 0.0)))
        imported = sum(summary.seconds.get(p, 0.0)
                       for p in ("read", "check", "graph", "validate", "write"))
        rows.append(("IMPORT with validation (read..write)", imported))
        rows.append(("import: rebuild dist/ with it", summary.seconds.get("build", 0.0)))
        rows.append(("import + rebuild", imported + summary.seconds.get("build", 0.0)))
        rows.append(("  (CPU time of import + rebuild)", cpu))

        t = time.perf_counter()
        runner = open_runner(root / "dist")
        rows.append(("report: open the built dataset", time.perf_counter() - t))
        for scope in ("paper", "all"):
            t, cpu = time.perf_counter(), time.process_time()
            report = compute_report(runner, scope=scope)
            rows.append((f"REPORT scope={scope} (tables + pictures)", time.perf_counter() - t))
            rows.append((f"  (CPU time of the report, scope={scope})", time.process_time() - cpu))
            t = time.perf_counter()
            report.markdown()
            report.html()
            rows.append((f"report scope={scope}: Markdown + HTML", time.perf_counter() - t))

        width = max(len(name) for name, _ in rows)
        print(f"{'step'.ljust(width)}  seconds")
        print(f"{'-' * width}  -------")
        for name, seconds in rows:
            print(f"{name.ljust(width)}  {seconds:7.2f}")
        load = os.getloadavg()[0]
        print(f"\nload average while measuring: {load:.1f} on {os.cpu_count()} CPUs (wall times "
              "grow with it; CPU times less so)")
        print(f"\n{summary.works} works ({summary.new} new, {len(summary.linked)} linked), "
              f"{summary.mappings} mappings, {summary.triples} triples in the import graph")


if __name__ == "__main__":
    main()
