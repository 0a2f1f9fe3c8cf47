#!/usr/bin/env python3
"""Convert a TOML formula (the beads / Gas Town *.formula.toml) to gastown's
INI formula format (see Documentation/gastown-formula.txt).

usage: formula-toml2ini.py <file.formula.toml> [-o <file.formula.ini>]

Every field gastown supports is kept:

  top level     formula (as name), description, version, type
  [vars.<name>] description, default, required, allowed (or enum), pattern
  [[steps]]     id, title, description, needs, type, priority, labels,
                assignee, acceptance

Every other field is dropped and named on stderr, one line each
("dropped: steps[design].timeout"). Texts keep their lines exactly: each
line of a several-line value is written as an indented "|<line>", and a
line longer than fits in inih's 198-byte line is cut into pieces that end
in "\\" (joined again without a newline). Exit status: 0 converted, 1 the
file cannot be converted (the message says why), 2 usage.
"""

import sys
import tomllib

TOP = {"formula": "name", "description": "description", "version": "version",
       "type": "type"}
VAR = {"description": "description", "default": "default", "required": "required",
       "allowed": "allowed", "enum": "allowed", "pattern": "pattern"}
STEP = ["title", "description", "needs", "type", "priority", "labels", "assignee",
        "acceptance"]
MULTILINE = {"description", "acceptance"}
PIECE = 150  # bytes of text per continuation line, well under inih's 198


class Unconvertible(Exception):
    pass


def scalar(value, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        for v in value:
            if "," in str(v):
                raise Unconvertible(f"{where}: the item {v!r} has a comma, which separates items")
        return ", ".join(str(v) for v in value)
    raise Unconvertible(f"{where}: a {type(value).__name__} cannot be converted")


def pieces(line):
    """Cut one line into pieces of at most PIECE bytes, each but the last
    ending in a backslash, cut after a character that is not a blank (inih
    drops blanks at the end of a line)."""
    out = []
    while len(line.encode()) > PIECE:
        cut = PIECE // 2
        # a cut in the middle of a UTF-8 character or after a blank would change the text
        while cut < len(line) and (line[cut - 1].isspace() or len(line[:cut].encode()) > PIECE):
            cut -= 1 if len(line[:cut].encode()) > PIECE else -1
            if cut <= 1:
                raise Unconvertible("a line has no place to be cut")
        out.append(line[:cut] + "\\")
        line = line[cut:]
    out.append(line)
    return out


def emit(out, key, value, where, notes):
    text = scalar(value, where)
    multi = key in MULTILINE
    if not multi:
        if "\n" in text:
            raise Unconvertible(f"{where}: takes one line, this value has several")
        if text != text.strip() or text.startswith("|") or len(f"{key} = {text}".encode()) > 190:
            raise Unconvertible(f"{where}: this one-line value cannot be written exactly")
        out.append(f"{key} = {text}")
        return
    lines = text.split("\n")
    if text.endswith("\n"):
        lines = lines[:-1]   # TOML's closing """ on its own line
        notes.append(f"note: {where}: final newline not kept")
    out.append(f"{key} =")
    for line in lines:
        if line != line.rstrip():
            notes.append(f"note: {where}: blanks at the end of a line not kept")
            line = line.rstrip()
        if line.endswith("\\"):
            raise Unconvertible(f"{where}: a line ends in a backslash, which would join it to the next")
        for p in pieces(line):
            out.append(f"  |{p}")


def convert(data):
    out, dropped, notes = [], [], []
    out.append("[formula]")
    for key, value in data.items():
        if key in ("vars", "steps"):
            continue
        if key in TOP:
            emit(out, TOP[key], value, key, notes)
        else:
            dropped.append(key)
    for name, var in (data.get("vars") or {}).items():
        out.append("")
        out.append(f'[var "{name}"]')
        if not isinstance(var, dict):
            # vars.name = "default" shorthand
            emit(out, "default", var, f"vars.{name}", notes)
            continue
        for key, value in var.items():
            if key in VAR:
                emit(out, VAR[key], value, f"vars.{name}.{key}", notes)
            else:
                dropped.append(f"vars.{name}.{key}")
    for i, step in enumerate(data.get("steps") or []):
        sid = step.get("id")
        if not isinstance(sid, str):
            raise Unconvertible(f"steps[{i}]: no id")
        out.append("")
        out.append(f'[step "{sid}"]')
        for key in STEP:
            if key in step:
                emit(out, key, step[key], f"steps[{sid}].{key}", notes)
        for key in step:
            if key not in STEP and key != "id":
                dropped.append(f"steps[{sid}].{key}")
    return "\n".join(out) + "\n", dropped, notes


def main(argv):
    args = argv[1:]
    output = None
    if len(args) == 3 and args[1] == "-o":
        output = args[2]
        args = args[:1]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: formula-toml2ini.py <file.formula.toml> [-o <file.formula.ini>]",
              file=sys.stderr)
        return 2
    try:
        with open(args[0], "rb") as f:
            data = tomllib.load(f)
        text, dropped, notes = convert(data)
    except (OSError, tomllib.TOMLDecodeError, Unconvertible) as e:
        print(f"fatal: {args[0]}: {e}", file=sys.stderr)
        return 1
    for d in dropped:
        print(f"dropped: {d}", file=sys.stderr)
    for n in notes:
        print(n, file=sys.stderr)
    if output:
        with open(output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
