#!/bin/sh
# CI check of a site design repository (see README: "CI for a site repository").
#
#   site-repo-check.sh BASE_REV [SITES_DIR]
#
# 1. `dctwin test SITES_DIR`: every *.test.ron sidecar's expectations (exit 1 if one fails,
#    2 if a file is invalid).
# 2. For every site with a sidecar (X.test.ron -> X.ron), `dctwin diff BASE_REV:X.ron X.ron`
#    (included files are read from the same revision), collected into one Markdown file for
#    the pull request ($DIFF_OUT, default site-diff.md); sites the change leaves alone are
#    left out, new sites are listed.
#
# DCTWIN names the binary (default: dctwin on PATH). Run it from the repository's root.
set -eu
base=${1:?usage: site-repo-check.sh BASE_REV [SITES_DIR]}
dir=${2:-sites}
out=${DIFF_OUT:-site-diff.md}
dctwin=${DCTWIN:-dctwin}

"$dctwin" test "$dir"

: > "$out"
changed=0
for test_file in $(find "$dir" -name '*.test.ron' | sort); do
    site=${test_file%.test.ron}.ron
    [ -f "$site" ] || continue
    if ! git cat-file -e "$base:$site" 2>/dev/null; then
        printf '# New site: %s\n\n' "$site" >> "$out"
        changed=$((changed + 1))
        continue
    fi
    diff=$("$dctwin" diff "$base:$site" "$site")
    case "$diff" in
        *"No element changed."*) ;;
        *) printf '%s\n\n' "$diff" >> "$out"; changed=$((changed + 1)) ;;
    esac
done
if [ "$changed" -eq 0 ]; then
    printf 'No site changed since %s.\n' "$base" >> "$out"
fi
echo "$changed site(s) changed since $base: $out"
