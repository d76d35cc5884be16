#!/usr/bin/env bash
# Builds the worker into build/ (wrangler's [build] command): worker-build with a release
# profile tuned for size (the wasm's gzip size is the deploy limit: 3 MB on the free plan),
# then a second wasm-opt -Oz pass that also drops the wasm's names section, which worker-build
# keeps for readable stack traces (about 10% of the gzip size; PLANO_KEEP_WASM_NAMES=1 keeps it).
# worker-build, wasm-bindgen, wasm-opt and esbuild are taken from PATH / WASM_BINDGEN_BIN,
# WASM_OPT_BIN and ESBUILD_BIN when set (tests/workers/run sets them; see README.md).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"
export CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-true}"
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-1}"
export CARGO_PROFILE_RELEASE_DEBUG="${CARGO_PROFILE_RELEASE_DEBUG:-false}"
# No `strip = true`: it removes the externref table wasm-bindgen needs
# (cloudflare/workers-rs#1014); the names section goes below instead.
#
# `build.sh --prompt` builds the prompt listener's Worker instead (prompt targets compiled
# in) into build-prompt/; deploy it with PLANO_LISTENER = "prompt" (see README.md).
OUT=build
ARGS=()
if [ "${1:-}" = --prompt ]; then
  shift
  OUT=build-prompt
  ARGS=(--features prompt-targets)
fi
worker-build --release --out-dir "$OUT" "$@" "${ARGS[@]}"

wasm_opt=${WASM_OPT_BIN:-$(command -v wasm-opt || true)}
if [ -n "$wasm_opt" ]; then
  # A second -Oz pass over worker-build's output: -Oz does not reach a fixed point in one run
  # and the second one takes 17.5 KB gzip more off (983,407 -> 965,913 bytes, measured
  # 2026-11-22; `-Oz --converge` instead gave 966,135). The names section goes too
  # unless PLANO_KEEP_WASM_NAMES=1.
  strip=(--strip-debug)
  [ "${PLANO_KEEP_WASM_NAMES:-0}" = 1 ] && strip=()
  # The feature set worker-build enables (so nothing newer than workerd supports is emitted).
  "$wasm_opt" "$OUT/index_bg.wasm" -o "$OUT/index_bg.wasm" -Oz "${strip[@]}" \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types \
    --enable-exception-handling
fi
