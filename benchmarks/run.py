"""Run every benchmark in one process and print the ratios they measure (never asserts).

python benchmarks/run.py            # all
python benchmarks/run.py explorers  # those whose file name contains a word
python benchmarks/run.py memory     # peak memory per model at its largest settings (bench_memory.py)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    files = sorted(HERE.glob("bench_*.py"))
    if argv:
        files = [f for f in files if any(word in f.stem for word in argv)]
    for path in files:
        print(f"\n=== {path.name} ===")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        try:
            module.main()
        except ImportError as exc:  # an optional reference (e.g. GillesPy2) is missing
            print(f"skipped: {exc} (install the 'bench' extra: pip install -e '.[bench]')")


if __name__ == "__main__":
    main(sys.argv[1:])
