#!/bin/sh
# Seeds the site_file fuzz target's corpus: the example sites (not their *.test.ron sidecars),
# the malformed files of tests/bad_sites, and the composed campus as one input (each included
# file after a NUL byte and its path; see fuzz_targets/site_file.rs). Existing entries stay.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus/site_file"
mkdir -p "$corpus"
for f in "$root"/sites/*.ron "$root"/tests/bad_sites/*.ron; do
    case "$f" in
    *.test.ron) ;;
    *) cp "$f" "$corpus/seed-$(basename "$f")" ;;
    esac
done
campus="$root/sites/campus"
if [ -f "$campus/ai_campus.ron" ]; then
    {
        cat "$campus/ai_campus.ron"
        for hall in "$campus"/halls/*.ron; do
            printf '\000halls/%s\n' "$(basename "$hall")"
            cat "$hall"
        done
    } > "$corpus/seed-campus"
    # One hall file included twice (a template), under two prefixes.
    {
        sed 's|halls/south.ron|halls/north.ron|' "$campus/ai_campus.ron"
        printf '\000halls/north.ron\n'
        cat "$campus/halls/north.ron"
    } > "$corpus/seed-campus-template"
fi
echo "$(ls "$corpus" | wc -l) files in $corpus"
