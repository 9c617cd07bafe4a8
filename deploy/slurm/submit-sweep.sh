#!/usr/bin/env bash
# Fans a dctwin contingency sweep out over a Slurm job array and merges the parts.
#
#   deploy/slurm/submit-sweep.sh [--wait] N SITE.ron OUT_DIR [sweep options...]
#
# Submits N array tasks (one shard each, deploy/slurm/sweep-shard.sbatch) and a merge job that
# starts when every task has succeeded (afterok) and writes OUT_DIR/sweep.json (byte-identical to
# `dctwin sweep SITE --report sweep.json` with the same options), OUT_DIR/sweep.csv and
# OUT_DIR/sweep.md. Slurm refuses arrays above MaxArraySize (1001 by default: indices 0-1000),
# so N is at most 1000. With --wait it returns when the merge is done, with its exit code.
# Set DCTWIN to the binary's path if `dctwin` is not on PATH (it must be the same on every node).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wait_flag=()
if [[ ${1:-} == --wait ]]; then
  wait_flag=(--wait)
  shift
fi
if (($# < 3)); then
  echo "usage: $0 [--wait] N SITE.ron OUT_DIR [sweep options...]" >&2
  exit 2
fi
count=$1 site=$2 out=$3
shift 3
if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 1 || count > 1000)); then
  echo "N must be 1 to 1000 (one array holds at most 1000 tasks here): got $count" >&2
  exit 2
fi
mkdir -p "$out/parts" "$out/logs"
site=$(realpath "$site")
out=$(realpath "$out")
dctwin=${DCTWIN:-$(command -v dctwin || true)}
[[ -n $dctwin ]] || { echo "dctwin is not on PATH: set DCTWIN" >&2; exit 2; }
export DCTWIN=$dctwin
rm -f "$out"/parts/part-*.json
array=$(sbatch --parsable --array=0-$((count - 1)) -o "$out/logs/shard-%a.out" \
  "$here/sweep-shard.sbatch" "$count" "$site" "$out/parts" "$@")
array=${array%%;*}
echo "submitted array job $array ($count shards)"
parts=()
for ((i = 0; i < count; i++)); do parts+=("$out/parts/part-$i.json"); done
printf -v merge '%q ' "$dctwin" merge "${parts[@]}" --out "$out/sweep.json" --csv "$out/sweep.csv"
merge_job=$(sbatch --parsable "${wait_flag[@]}" --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  -o "$out/sweep.md" -e "$out/logs/merge.err" --job-name=dctwin-merge --wrap "$merge")
echo "submitted merge job ${merge_job%%;*}: $out/sweep.json"
