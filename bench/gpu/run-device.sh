#!/usr/bin/env bash
# WebGPU on a real GPU: tfjs's WebGPU kernels vs the app's WGSL kernels (f32, f16) vs ONNX Runtime
# Web's WebGPU provider, on the same weights, in headless Chromium. Writes JSON to $OUT.
#
#   OUT=/some/folder bench/gpu/run-device.sh
#
# Needs: node + this repository's node_modules, a Chromium (CHROMIUM_PATH, /usr/bin/chromium,
# or Playwright's own download) and a GPU driver with Vulkan. No network, nothing installed.
# Python with PyTorch is optional (ONNX export for ONNX Runtime unless already cached under
# node_modules/.cache/lymphscope-bench/onnx/, and the native-CPU reference logits).
# Takes about 2–5 minutes on a GPU; the steps are limited to 170 + 80 + 300 s, so a run fits in a
# 10-minute window and the JSON always comes back.
#
#   1. bench/gpu/layers.ts: the 20 convolutions of a ResNet-18 at 224, per kernel (tfjs, f32,
#      f16), with each variant's error relative to tfjs's output; finds the Chromium switches that
#      give a hardware adapter (chromium-flags.txt).
#   2. bench/gpu/f16-error.ts: the default pack's bmode model with the kernels in f32 and in real
#      f16 on a few images: largest change of a logit and of a calibrated probability.
#   3. bench/run.ts on the default pack, only if step 1 found a hardware adapter: the app forced to
#      WebGPU with its kernels (app-webgpu), with tfjs's (app-webgpu-tfjs-conv), in f16
#      (app-webgpu-f16), and ONNX Runtime Web WebGPU (ort-webgpu): cold start, warm inference,
#      Grad-CAM, logits.
#   4. summary.json: what ran, exit codes, the adapter, and whether the figures are a GPU's
#      (`judged`). A software adapter's figures are never GPU figures.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/run.log"; }

summary() { # $1 status, $2 note
  node -e '
    const fs = require("fs"), out = process.argv[1];
    const read = (f) => { try { return JSON.parse(fs.readFileSync(`${out}/${f}`, "utf8")); } catch { return null; } };
    const text = (f) => { try { return fs.readFileSync(`${out}/${f}`, "utf8").trim(); } catch { return null; } };
    const layers = read("layers.json"), bench = read("bench.json");
    fs.writeFileSync(`${out}/summary.json`, JSON.stringify({
      status: process.argv[2], note: process.argv[3],
      judged: !!(layers && layers.judged),
      adapter: layers && layers.report ? layers.report.adapter : null,
      adaptersTried: layers ? layers.tried : null,
      gpu: text("gpu.txt"), chromium: text("chromium-version.txt"), node: process.version,
      exitCodes: { layers: Number(process.argv[4] || -1), f16Error: Number(process.argv[6] || -1), bench: Number(process.argv[5] || -1) },
      f16Error: (read("f16-error.json") || {}).bySource || null,
      convolutionsMs: layers && layers.report ? layers.report.totalMs : null,
      wholeModel: bench ? bench.scenarios.map((s) => ({ id: s.id, ok: s.ok, error: s.error,
        inferenceP50Ms: s.ok ? s.inference.p50 : null, inferenceP95Ms: s.ok ? s.inference.p95 : null,
        coldStartMs: s.ok ? s.coldStartMs : null, secondAnalysisMs: s.ok ? s.secondAnalysisMs : null,
        webgpuKernels: s.webgpuKernels ?? null, logits: s.logits ?? null })) : null,
    }, null, 1) + "\n");
  ' "$OUT" "$1" "$2" "${rc_layers:-}" "${rc_bench:-}" "${rc_f16:-}"
}

if [ -z "${CHROMIUM_PATH:-}" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome \
    "$HOME"/.cache/ms-playwright/chromium-*/chrome-linux/chrome; do
    if [ -x "$c" ]; then CHROMIUM_PATH="$c"; break; fi
  done
fi
if [ -z "${CHROMIUM_PATH:-}" ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  log "missing: ${CHROMIUM_PATH:-no Chromium} / node_modules present: $([ -d node_modules ] && echo yes || echo no)"
  summary "not-run" "no Chromium or no node_modules on this machine: GPU speed not judged"
  exit 2
fi
export CHROMIUM_PATH

if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/gpu.txt" 2>&1
else
  echo "no nvidia-smi" > "$OUT/gpu.txt"
fi
"$CHROMIUM_PATH" --version > "$OUT/chromium-version.txt" 2> /dev/null
{ ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1; nproc; } > "$OUT/machine.txt"
log "GPU: $(cat "$OUT/gpu.txt"); $(cat "$OUT/chromium-version.txt"); node $(node --version)"

log "step 1: per-layer convolutions"
timeout 170 npx tsx bench/gpu/layers.ts --out "$OUT/layers.json" --reps 200 > "$OUT/layers.log" 2>&1
rc_layers=$?
tail -n 20 "$OUT/layers.log" | tee -a "$OUT/run.log"
if [ "$rc_layers" -ne 0 ]; then
  summary "layers-failed" "no hardware WebGPU adapter (or the per-layer run failed, see layers.log): GPU speed not judged"
  exit 0
fi

log "step 2: f16's effect on the default pack's answers (real f16 on this device)"
export BENCH_CHROMIUM_ARGS="$(cat "$OUT/chromium-flags.txt")"
timeout 80 npx tsx bench/gpu/f16-error.ts --out "$OUT/f16-error.json" --per-source 3 > "$OUT/f16-error.log" 2>&1
rc_f16=$?
tail -n 5 "$OUT/f16-error.log" | tee -a "$OUT/run.log"

log "step 3: whole model (the app on WebGPU with each kernel set, ONNX Runtime Web WebGPU)"
only=app-webgpu,app-webgpu-tfjs-conv,app-webgpu-f16,ort-webgpu
if "${PYTHON:-python3}" -c 'import torch' > /dev/null 2>&1; then only="$only,native"; fi
timeout 300 npx tsx bench/run.ts --only "$only" --runs 50 --leak 0 --triple 5 --throughput 0 --port 0 \
  --timeout 120 --out "$OUT/bench.json" > "$OUT/bench.log" 2>&1
rc_bench=$?
tail -n 25 "$OUT/bench.log" | tee -a "$OUT/run.log"
summary "done" "figures from the adapter in summary.adapter; judged=false means a software adapter"
log "wrote $OUT/summary.json"
