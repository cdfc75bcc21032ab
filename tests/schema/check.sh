#!/bin/bash
# tests/schema/check.sh - the generated files are current
# (scenarios/schema.json and docs/scenario-reference.md are byte for byte
# what `cardsim schema` and `cardsim reference` print now), and
# scenarios/*.json validate against the schema.
# usage: check.sh CARDSIM SOURCE_ROOT TEST   (TEST: json, reference, validate)
set -u
cardsim=$1 root=$2 test=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# generate CMD: cardsim CMD into $tmp/out, under $CARDSIM_WRAPPER if set
# (meson test --setup valgrind sets it)
generate() {
    # shellcheck disable=SC2086 # the wrapper is a command line
    ${CARDSIM_WRAPPER:-} "$cardsim" "$1" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 0 ] || { cat "$tmp/err"; fail "cardsim $1 exited $rc"; }
}

# current FILE CMD: FILE (relative to the root) is what cardsim CMD prints
current() {
    generate "$2"
    cmp -s "$tmp/out" "$root/$1" && return 0
    diff -u "$root/$1" "$tmp/out" | head -n 300
    echo
    echo "$1 is not what 'cardsim $2' prints now; regenerate it with:"
    echo "  (cd '$root' && '$cardsim' $2 > $1)"
    fail "$1 is out of date"
}

case $test in
json)
    current scenarios/schema.json schema
    ;;
reference)
    current docs/scenario-reference.md reference
    ;;
validate)
    command -v python3 >/dev/null 2>&1 ||
        { echo "SKIP: no python3"; exit 77; }
    python3 -c 'import jsonschema' 2>/dev/null ||
        { echo "SKIP: python3 has no jsonschema module"; exit 77; }
    generate schema
    python3 - "$tmp/out" "$root"/scenarios/*.json <<'PY' || fail "validation"
import copy, json, os, sys
from jsonschema import Draft202012Validator as V

schema = json.load(open(sys.argv[1]))
V.check_schema(schema)
v = V(schema)

def errors(doc):
    return sorted(("$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                                 for p in e.absolute_path), e.message)
                  for e in v.iter_errors(doc))

bad = 0
files = [f for f in sys.argv[2:] if os.path.basename(f) != "schema.json"]
if not files:
    sys.exit("no scenarios/*.json to validate")
for f in files:
    errs = errors(json.load(open(f)))
    for path, msg in errs:
        print(f"{f}: {path}: {msg}")
    print(f"{'not ok' if errs else 'ok'} {f}")
    bad += len(errs)

# The schema must also refuse what the loader refuses; built on the first
# file with its timeline replaced (only the core actions wait and log).
base = json.load(open(files[0]))
top = {"format", "name", "description", "comment", "seed", "timeout",
       "timeline"}
section = next(k for k in base if k not in top)
base["timeline"] = []

def case(want_ok, what, steps=None, edit=None):
    global bad
    doc = copy.deepcopy(base)
    if steps is not None:
        doc["timeline"] = steps
    if edit:
        edit(doc)
    errs = errors(doc)
    if bool(errs) == want_ok:
        bad += 1
        print(f"not ok: {what}: expected {'valid' if want_ok else 'invalid'}"
              + "".join(f"\n  {p}: {m}" for p, m in errs))

wait = {"action": "wait", "for": "1us"}
case(True, "core actions with every common key",
     [wait, {"action": "log", "text": "x", "name": "n", "at": "1us",
             "delay": "0ns", "timeout": "1s", "comment": "c"}])
case(False, "unknown step key", [dict(wait, bogus=1)])
case(False, "key of another action", [dict(wait, text="x")])
case(False, "unknown action", [{"action": "nope"}])
case(False, "missing action", [{"for": "1us"}])
case(False, "missing required field", [{"action": "wait"}])
case(False, "unitless time", [{"action": "wait", "for": "5"}])
case(False, "unknown top-level key", edit=lambda d: d.update(colour=1))
case(False, "no section", edit=lambda d: d.pop(section))
case(False, "unknown key in the section",
     edit=lambda d: d[section].update(bogus=1))
case(False, "wrong format", edit=lambda d: d.update(format="x/2"))
sys.exit(1 if bad else 0)
PY
    ;;
*)
    fail "unknown test '$test'"
    ;;
esac
