#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every exported symbol is documented in the public headers.

check-docs.py SYMBOL_MAP HEADER...

For each name in the version script, one header must declare it with a
"/** NAME: ..." comment right before the declaration (blank lines and other
declarations' comments in between do not count). Exits 1 listing every
symbol that is undocumented or not declared at all; 0 otherwise.
"""
import re
import sys


def exported(path):
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
    names = []
    for block in re.findall(r"global:(.*?)(?:local:|\})", text, flags=re.S):
        names += re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*;", block)
    return sorted(set(names))


def doc_names(doc):
    """The names a doc comment's first line gives: "/** a:" or "/** a / b:"."""
    m = re.match(r"/\*\*\s*\**\s*([A-Za-z0-9_ /]+?)\s*:", doc)
    return set(n.strip() for n in m.group(1).split("/")) if m else set()


def declarations(headers):
    """name -> (header, the names the doc comment right before it documents).

    A comment documents the declaration that follows it; one that names
    several ("/** a / b: ...") documents each of the declarations that follow
    it in a row, as long as they are the ones it names.
    """
    found = {}
    token = re.compile(r"/\*.*?\*/|;|\{|\}|#[^\n]*|[^;{}/#]+|/", re.S)
    for path in headers:
        text = open(path, encoding="utf-8").read()
        doc = set()
        stmt = ""
        depth = 0
        for m in token.finditer(text):
            t = m.group(0)
            if t.startswith("/**"):
                if depth == 0:
                    doc = doc_names(t)
                    stmt = ""
            elif t.startswith("/*") or t.startswith("#"):
                continue
            elif t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
            elif t == ";":
                if depth == 0:
                    name = re.search(r"\b(vfr_[A-Za-z0-9_]*)\s*\(", stmt)
                    if name:
                        found.setdefault(name.group(1), (path, doc))
                        if name.group(1) not in doc:
                            doc = set()
                    else:
                        doc = set()
                stmt = ""
            elif depth == 0:
                stmt += t
    return found


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    decls = declarations(argv[2:])
    bad = []
    for name in exported(argv[1]):
        if name not in decls:
            bad.append(f"{name}: exported but declared in no public header")
        elif name not in decls[name][1]:
            bad.append(f"{name}: no \"/** {name}: ...\" comment before its declaration "
                       f"in {decls[name][0]}")
    for line in bad:
        print(line)
    print(f"{len(exported(argv[1])) - len(bad)} of {len(exported(argv[1]))} exported symbols "
          "documented")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
