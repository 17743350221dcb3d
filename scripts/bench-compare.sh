#!/usr/bin/env bash
# Interleaved speed comparison on one machine (BENCHMARKS.md): fusion-cli bench of the EmoHEAL spec, optionally the
# same bench in another checkout (an earlier commit, built), and the PyTorch reference, repeated.
# usage: scripts/bench-compare.sh LENGTH [REPS] [BEFORE_CHECKOUT]
#   e.g. git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npx tsc -b)
#        scripts/bench-compare.sh 20 3 /tmp/before
# Needs ../shared/reference/torch_emoheal.py and Debian's python3-torch (apt-get install -y python3-torch).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
length="${1:?usage: scripts/bench-compare.sh LENGTH [REPS] [BEFORE_CHECKOUT]}"
reps="${2:-3}"
before="${3:-}"
torch="${TORCH_EMOHEAL:-$here/../shared/reference/torch_emoheal.py}"
summary='let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s.slice(s.indexOf("{")));
console.log(process.argv[1],JSON.stringify({backend:j.backend,train:+j.trainWindowsPerSec.toFixed(1),p50:+j.inferMsPerWindow.toFixed(2),
p95:+j.inferMsPerWindowP95.toFixed(2),batched:+j.inferWindowsPerSecBatched.toFixed(0),kernels:j.kernelsPerTrainStep,inferKernels:j.kernelsPerInference,rssMiB:+j.peakRssMiB.toFixed(0),leaked:j.leakedTensors}))})'
for _ in $(seq 1 "$reps"); do
  for tree in $before "$here"; do
    (cd "$tree" && node packages/cli/dist/src/bin.js bench specs/emoheal.json --length "$length" --batch 32 --json 2>/dev/null | node -e "$summary" "$tree")
  done
  /usr/bin/python3 "$torch" --sensors 5 --length "$length" --batch 32 --steps 30 2>/dev/null | tail -1
done
