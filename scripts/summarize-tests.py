#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Adds up meson test logs (JSON lines) into one closing line."""
import glob
import json
import sys

passed = failed = skipped = 0
# meson test --wrapper appends the wrapper's name to the log base, hence globs.
for pattern in sys.argv[1:]:
    path = (sorted(glob.glob(pattern)) or [pattern])[-1]
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"missing test log {path}: {e}")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
