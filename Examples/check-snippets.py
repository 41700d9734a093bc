#!/usr/bin/env python3
"""Every Swift snippet of README.md and docs/*.md must be compiled code: word for word a piece of one
of the example programs under Examples/Sources (which `make test` builds and runs). A snippet
edited in a document without its program, or a program changed without its snippet, fails here,
naming the document and line; a program that no longer compiles fails the build after it.

Usage: Examples/check-snippets.py [REPO_ROOT]"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
programs = {p: p.read_text() for p in sorted((root / "Examples" / "Sources").rglob("*.swift"))}
documents = [root / "README.md"] + sorted((root / "docs").rglob("*.md"))


def normal(text):
    """Lines without trailing blanks; leading and trailing empty lines dropped."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


compiled = {p: normal(text) for p, text in programs.items()}
problems, found = [], 0
for document in documents:
    text = document.read_text()
    for match in re.finditer(r"^```swift\n(.*?)^```", text, re.S | re.M):
        found += 1
        snippet = normal(match.group(1))
        line = text.count("\n", 0, match.start()) + 1
        if not any(snippet in program for program in compiled.values()):
            first = snippet.splitlines()[0] if snippet else ""
            problems.append(f"{document.relative_to(root)}:{line}: this Swift snippet is not in any program under "
                            f"Examples/Sources (so nothing compiles it): {first[:90]}")
if problems:
    print("\n".join(problems), file=sys.stderr)
    print(f"check-snippets: {len(problems)} of {found} Swift snippets are not compiled code: make each a piece of an "
          "Examples/ program, word for word", file=sys.stderr)
    sys.exit(1)
print(f"check-snippets: all {found} Swift snippets of README.md and docs/ are word for word in the "
      f"{len(programs)} programs of Examples/Sources")
