#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Doxygen's INPUT_FILTER for the public headers: their comments are written
the GLib way ("/** name:", "@param:", "Returns:", "Since:", "(nullable)"
annotations), which Doxygen reads as commands. This turns each into Doxygen's
spelling on the fly; the headers themselves stay as they are.
"""
import re
import sys


NAME = r"(?:struct |enum )?[A-Za-z_][A-Za-z0-9_]*(?:\s*/\s*[A-Za-z_][A-Za-z0-9_]*)*"


def convert(comment):
    lines = comment.split("\n")
    out = []
    named = False
    for i, line in enumerate(lines):
        if not named:
            # The first words, "name:" or "a / b:", say what is documented: dropped.
            m = re.match(r"(\s*(?:/\*\*|\*)\s*)(" + NAME + r"):(\s*)(.*)$", line)
            if m:
                named = True
                line = m.group(1) + m.group(4)
                if not m.group(4).strip():
                    out.append(m.group(1).rstrip())
                    continue
            elif re.sub(r"[\s/*]", "", line):
                named = True
        m = re.match(r"(\s*\*?\s*)@([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$", line)
        if m and i > 0:
            line = f"{m.group(1)}\\param {m.group(2)} {m.group(3)}"
        else:
            line = re.sub(r"\bReturns:", r"\\return", line)
            line = re.sub(r"\bSince:", r"\\since", line)
        # Remaining @name references are argument names: \p name.
        line = re.sub(r"(?<![\\\w])@([A-Za-z_][A-Za-z0-9_]*)", r"\\p \1", line)
        out.append(line)
    return "\n".join(out)


def main(argv):
    text = open(argv[1], encoding="utf-8").read()
    sys.stdout.write(re.sub(r"/\*\*.*?\*/", lambda m: convert(m.group(0)), text, flags=re.S))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
