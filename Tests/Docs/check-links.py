#!/usr/bin/env python3
"""Every link in README.md and docs/*.md must resolve inside this repository.

Checks, outside fenced code blocks:
  - each relative Markdown link or image, [text](target) / ![alt](target), and each reference
    definition ([name]: target) names a file or folder that exists, without leaving the repository;
  - a #fragment into a Markdown file (or into the same page) names one of its headings, by GitHub's
    anchor rules (lower case; everything but letters, digits, '_', '-' and spaces dropped; spaces to
    '-'; a repeated heading gets -1, -2, …);
  - each inline-code path that starts with one of the repository's top-level folders
    (`Sources/…`, `Tests/…`, `Benchmarks/…`, `Fixtures/…`, `Examples/…`, `docs/…`, `.ci/…`) exists,
    read from the repository root (a glob such as `Fixtures/invalid/fuzz-*` must match something);
  - nothing names a document outside the repository (a shared folder above it, the old design
    document or API spec, which the repository no longer leans on).
Links to http(s) and mailto are not fetched.

Usage: Tests/Docs/check-links.py [REPO_ROOT]"""
import glob
import pathlib
import re
import sys
import unicodedata

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]).resolve()
documents = [root / "README.md"] + sorted((root / "docs").rglob("*.md"))
TOP = ("Sources/", "Tests/", "Benchmarks/", "Fixtures/", "Examples/", "docs/", ".ci/")
OUTSIDE = re.compile(r"\.\./shared|shared/doc[s]|design[.]md|design[ ]§|kimi-api-spe[c]")   # bracketed: this file must not match itself


def prose(text):
    """The text with fenced code blocks blanked (line numbers kept)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            out.append("")
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def anchor(heading):
    """GitHub's anchor of a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # links: their text
    text = re.sub(r"<[^>]+>", "", text)                            # HTML tags
    text = "".join(c for c in text.lower()
                   if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return text.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen, found = {}, set()
        for line in prose(path.read_text()).split("\n"):
            m = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            base = anchor(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        # explicit <a name="..."> / id="..." anchors
        found |= set(re.findall(r"""<a\s+(?:name|id)=["']([^"']+)["']""", path.read_text()))
        cache[path] = found
    return cache[path]


problems, links, paths = [], 0, 0
for document in documents:
    text = document.read_text()
    body = prose(text)
    here = document.parent
    rel = document.relative_to(root)
    for number, line in enumerate(text.split("\n"), 1):
        if OUTSIDE.search(line):
            problems.append(f"{rel}:{number}: names a document outside the repository: {line.strip()[:100]}")
    # Inline code is not a link: blank it before looking for links, but keep it for the path check.
    for number, line in enumerate(body.split("\n"), 1):
        spans = re.findall(r"`([^`]+)`", line)
        linkable = re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line)
        targets = [m.group(1) for m in re.finditer(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", linkable)]
        targets += re.findall(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", linkable)
        targets += re.findall(r"""<(?:a|img)\s[^>]*(?:href|src)=["']([^"']+)["']""", linkable)
        for target in targets:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # http:, https:, mailto:
            links += 1
            file, _, fragment = target.partition("#")
            resolved = (here / file).resolve() if file else document
            if root not in resolved.parents and resolved != root:
                problems.append(f"{rel}:{number}: {target}: points outside the repository")
                continue
            if not resolved.exists():
                problems.append(f"{rel}:{number}: {target}: no such file or folder ({resolved.relative_to(root)})")
                continue
            if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
                problems.append(f"{rel}:{number}: {target}: no heading with the anchor #{fragment} in {resolved.relative_to(root)}")
        for span in spans:
            candidate = span.strip().rstrip(".,;:")
            if not candidate.startswith(TOP) or " " in candidate:
                continue
            paths += 1
            if not glob.glob(str(root / candidate)):
                problems.append(f"{rel}:{number}: `{span}`: no such path in the repository")

if problems:
    print("\n".join(problems), file=sys.stderr)
    print(f"check-links: {len(problems)} problems in {len(documents)} documents", file=sys.stderr)
    sys.exit(1)
print(f"check-links: {links} links and {paths} repository paths in {len(documents)} documents all resolve")
