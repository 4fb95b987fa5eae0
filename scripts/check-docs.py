#!/usr/bin/env python3
"""check-docs.py: `make check-docs`. Each translated page (NAME.pt-BR.md) must say what
its English original (NAME.md) says, as far as a program can tell:

  - the same headings: as many, at the same levels, in the same order (the text is
    translated, the structure is not);
  - the same code blocks, in the same order, with the same commands: comments
    (from a '#' at the start of a line or after a blank) may be translated; blocks
    fenced as ```text are figures and may be translated entirely;
  - each links to the other;

and the README (in both languages) opens with the two commands `make up`, `make check`.

The translations the repository promises (TRANSLATIONS) must exist; any other
*.pt-BR.md is checked too. `--self-test` first checks the checker on pages made up
for the purpose (it must catch each kind of drift, and accept a faithful translation).
Prints one "ok"/"not ok" line per check; exit status 1 if any fails.
"""
import os
import re
import subprocess
import sys

TRANSLATIONS = ["README.pt-BR.md", "deploy/aws/README.pt-BR.md"]
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")


def parse(text):
    """(headings, code blocks): headings as (level, text) outside code blocks; code
    blocks as (info string, lines)."""
    headings, blocks = [], []
    fence, info, lines = None, "", []
    for line in text.splitlines():
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence, info, lines = m.group(2), m.group(3).strip(), []
                continue
            h = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if h:
                headings.append((len(h.group(1)), h.group(2)))
        elif m and m.group(2).startswith(fence[0]) and len(m.group(2)) >= len(fence) and not m.group(3).strip():
            blocks.append((info, lines))
            fence = None
        else:
            lines.append(line)
    if fence is not None:
        blocks.append((info, lines))
    return headings, blocks


def commands(lines):
    """A code block without its comments and trailing blanks: what must not change."""
    out = []
    for line in lines:
        if re.match(r"^\s*#", line):
            continue
        line = re.sub(r"(^|\s)#.*$", "", line).rstrip()
        if line:
            out.append(line)
    return out


def compare(original_text, translated_text, original_name, translated_name):
    """The list of differences (empty: the translation matches)."""
    problems = []
    oh, ob = parse(original_text)
    th, tb = parse(translated_text)
    olevels = [level for level, _ in oh]
    tlevels = [level for level, _ in th]
    if olevels != tlevels:
        problems.append("headings differ: %d in the original, %d in the translation" % (len(oh), len(th)))
        for i in range(max(len(oh), len(th))):
            o = "%s %s" % ("#" * oh[i][0], oh[i][1]) if i < len(oh) else "(none)"
            t = "%s %s" % ("#" * th[i][0], th[i][1]) if i < len(th) else "(none)"
            if i >= len(oh) or i >= len(th) or oh[i][0] != th[i][0]:
                problems.append("  heading %d: original '%s', translation '%s'" % (i + 1, o, t))
                break
    ocode = [(info, commands(lines)) for info, lines in ob if info != "text"]
    tcode = [(info, commands(lines)) for info, lines in tb if info != "text"]
    if len(ocode) != len(tcode):
        problems.append("code blocks differ: %d in the original, %d in the translation" % (len(ocode), len(tcode)))
    for i, (o, t) in enumerate(zip(ocode, tcode)):
        if o != t:
            first = next((j for j in range(max(len(o[1]), len(t[1])))
                          if j >= len(o[1]) or j >= len(t[1]) or o[1][j] != t[1][j]), 0)
            problems.append("code block %d differs (```%s): original '%s', translation '%s'" % (
                i + 1, o[0], o[1][first] if first < len(o[1]) else "(nothing)",
                t[1][first] if first < len(t[1]) else "(nothing)"))
    if len([info for info, _ in ob if info == "text"]) != len([info for info, _ in tb if info == "text"]):
        problems.append("figures (```text blocks) differ in number")
    if not re.search(r"\]\(([^)]*/)?%s\)" % re.escape(os.path.basename(translated_name)), original_text):
        problems.append("%s does not link to %s" % (original_name, os.path.basename(translated_name)))
    if not re.search(r"\]\(([^)]*/)?%s\)" % re.escape(os.path.basename(original_name)), translated_text):
        problems.append("%s does not link to %s" % (translated_name, os.path.basename(original_name)))
    return problems


class Report:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, problems):
        self.n += 1
        if problems:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            for p in problems:
                print("    " + p)
        else:
            print("ok %d - %s" % (self.n, name))


ORIGINAL = """# Title

Read this in [Português](X.pt-BR.md).

```sh
make up      # start it
make check
```

## One

```text
a figure
```

### One point one

```yaml
key: value   # why
```
"""

SELF_TESTS = [
    # (description, translation, should pass)
    ("a faithful translation passes (comments and figures translated)",
     ORIGINAL.replace("Read this in", "Leia em").replace("# start it", "# inicia")
     .replace("a figure", "uma figura").replace("# why", "# porque").replace("](X.pt-BR.md)", "](X.md)")
     .replace("## One", "## Um").replace("### One point one", "### Um ponto um"), True),
    ("a missing heading fails", ORIGINAL.replace("](X.pt-BR.md)", "](X.md)").replace("## One\n", ""), False),
    ("a heading at another level fails",
     ORIGINAL.replace("](X.pt-BR.md)", "](X.md)").replace("### One point one", "## One point one"), False),
    ("a changed command fails", ORIGINAL.replace("](X.pt-BR.md)", "](X.md)").replace("make check", "make test"), False),
    ("a changed configuration value fails",
     ORIGINAL.replace("](X.pt-BR.md)", "](X.md)").replace("key: value", "key: other"), False),
    ("a missing code block fails",
     ORIGINAL.replace("](X.pt-BR.md)", "](X.md)").replace("```yaml\nkey: value   # why\n```\n", ""), False),
    ("a translation that does not link back fails", ORIGINAL.replace("](X.pt-BR.md)", "](Y.md)"), False),
    ("a '#' line inside a code block is not a heading",
     ORIGINAL.replace("](X.pt-BR.md)", "](X.md)").replace("make check\n", "make check\n# a comment\n"), True),
]


def self_test(report):
    for desc, translated, should_pass in SELF_TESTS:
        problems = compare(ORIGINAL, translated, "X.md", "X.pt-BR.md")
        ok = (not problems) == should_pass
        report.check("self-test: " + desc, [] if ok else (problems or ["accepted, but should fail"]))


def readme_starts_with_the_two_commands(text):
    """The README opens with its title and, right after, the two commands a newcomer
    needs: `make up`, `make check`."""
    lines = text.splitlines()
    if len(lines) < 3 or not lines[0].startswith("# ") or lines[1].strip() or not FENCE.match(lines[2]):
        return ["the first lines must be the title, a blank line, then the commands' code block"]
    _, blocks = parse("\n".join(lines[2:]))
    got = commands(blocks[0][1]) if blocks else []
    return [] if [c.split()[:2] for c in got] == [["make", "up"], ["make", "check"]] else \
        ["the first code block must be `make up` then `make check`, is %s" % got]


def repository_files(top):
    try:
        out = subprocess.run(["git", "-C", top, "ls-files", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout
        return [f for f in out.splitlines() if os.path.exists(os.path.join(top, f))]
    except (OSError, subprocess.CalledProcessError):
        return [os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs]


def main():
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    report = Report()
    if "--self-test" in sys.argv[1:]:
        self_test(report)
    for readme in ("README.md", "README.pt-BR.md"):
        path = os.path.join(top, readme)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                report.check("%s opens with make up, make check" % readme,
                             readme_starts_with_the_two_commands(f.read()))
    found = sorted(f for f in repository_files(top) if f.endswith(".pt-BR.md"))
    for name in sorted(set(TRANSLATIONS) | set(found)):
        original = name[: -len(".pt-BR.md")] + ".md"
        path, opath = os.path.join(top, name), os.path.join(top, original)
        if not os.path.exists(path):
            report.check("%s exists" % name, ["missing: the translation of %s" % original])
            continue
        if not os.path.exists(opath):
            report.check("%s has an English original" % name, ["no %s" % original])
            continue
        with open(opath, encoding="utf-8") as f:
            otext = f.read()
        with open(path, encoding="utf-8") as f:
            ttext = f.read()
        report.check("%s matches %s (headings, code blocks, links)" % (name, original),
                     compare(otext, ttext, original, name))
    print("%d passed, %d failed" % (report.n - report.failed, report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
