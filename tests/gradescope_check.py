#!/usr/bin/env python3
"""gradescope_check.py RESULTS.JSON...: check results.json files field by
field against Gradescope's documented format (gradescope-autograders.
readthedocs.io, "Autograder Specifications", output format, visibility,
test case status, output string formatting, leaderboards).  Prints one
line per problem and exits 1 if there is any, 0 otherwise.

Written from the documentation, independently of gradcheck's writer: every
key must be a documented one with its documented type and values.  Two
rules are gradcheck's own, not Gradescope's, and are checked too (-s turns
them off): every test has a score and a max_score, and the top-level score
is the sum of the tests' scores.
"""
import json
import math
import sys

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}
TOP = {
    "score": "number", "execution_time": "number", "output": "string",
    "output_format": "format", "test_output_format": "format",
    "test_name_format": "format", "visibility": "visibility",
    "stdout_visibility": "visibility", "extra_data": "object",
    "tests": "array", "leaderboard": "array",
}
TEST = {
    "score": "number", "max_score": "number", "status": "status",
    "name": "string", "name_format": "format", "number": "string",
    "output": "string", "output_format": "format", "tags": "strings",
    "visibility": "visibility", "extra_data": "object",
}
BOARD = {"name": "string", "value": "number_or_string", "order": "order"}


def kind_ok(kind, v):
    if kind == "number":
        return (isinstance(v, (int, float)) and not isinstance(v, bool)
                and math.isfinite(v))
    if kind == "string":
        return isinstance(v, str)
    if kind == "object":
        return isinstance(v, dict)
    if kind == "array":
        return isinstance(v, list)
    if kind == "strings":
        return isinstance(v, list) and all(isinstance(t, str) for t in v)
    if kind == "visibility":
        return v in VISIBILITY
    if kind == "format":
        return v in FORMATS
    if kind == "status":
        return v in ("passed", "failed")
    if kind == "order":
        return v in ("asc", "desc")
    if kind == "number_or_string":
        return kind_ok("number", v) or isinstance(v, str)
    raise ValueError(kind)


def check_fields(obj, spec, where, problems):
    if not isinstance(obj, dict):
        problems.append(f"{where}: expected an object")
        return
    for k, v in obj.items():
        if k not in spec:
            problems.append(f"{where}: undocumented key {k!r}")
        elif not kind_ok(spec[k], v):
            problems.append(f"{where}.{k}: {v!r} is not a valid {spec[k]}")


def check(path, strict=True):
    problems = []
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")          # strict: no invalid bytes
    except UnicodeDecodeError as e:
        return [f"{path}: not valid UTF-8 ({e})"]
    try:
        doc = json.loads(text)
    except ValueError as e:
        return [f"{path}: not JSON ({e})"]
    check_fields(doc, TOP, path, problems)
    if not isinstance(doc, dict):
        return problems
    tests = doc.get("tests", [])
    if "score" not in doc and not (
            isinstance(tests, list) and tests and
            all(isinstance(t, dict) and "score" in t for t in tests)):
        problems.append(f"{path}: no top-level score and not every test "
                        f"has one")
    for i, t in enumerate(tests if isinstance(tests, list) else []):
        check_fields(t, TEST, f"{path}: tests[{i}]", problems)
        if strict and isinstance(t, dict):
            for k in ("score", "max_score", "name", "status", "output"):
                if k not in t:
                    problems.append(f"{path}: tests[{i}] has no {k!r}")
            if ("score" in t and "max_score" in t and
                    kind_ok("number", t["score"]) and
                    kind_ok("number", t["max_score"]) and
                    not 0 <= t["score"] <= t["max_score"] + 1e-9):
                problems.append(f"{path}: tests[{i}] score {t['score']} "
                                f"not within 0..{t['max_score']}")
    for i, b in enumerate(doc.get("leaderboard", []) or []):
        check_fields(b, BOARD, f"{path}: leaderboard[{i}]", problems)
        if isinstance(b, dict) and ("name" not in b or "value" not in b):
            problems.append(f"{path}: leaderboard[{i}] needs name and value")
    if strict and isinstance(tests, list) and "score" in doc:
        total = sum(t.get("score", 0) for t in tests if isinstance(t, dict))
        if kind_ok("number", doc["score"]) and abs(total - doc["score"]) > 1e-6:
            problems.append(f"{path}: score {doc['score']} is not the sum "
                            f"of the tests' scores {total}")
    return problems


def main(argv):
    strict = "-s" not in argv
    paths = [a for a in argv[1:] if a != "-s"]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    for p in paths:
        problems += check(p, strict)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
