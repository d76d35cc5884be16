#!/usr/bin/env bash
# Builds the worker into build/ (wrangler's [build] command): worker-build with a release
# profile tuned for size (the wasm's gzip size is the deploy limit: 3 MB on the free plan).
# worker-build, wasm-bindgen, wasm-opt and esbuild are taken from PATH / WASM_BINDGEN_BIN,
# WASM_OPT_BIN and ESBUILD_BIN when set (tests/workers/run sets them; see README.md).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-s}"
export CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-true}"
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-1}"
export CARGO_PROFILE_RELEASE_DEBUG="${CARGO_PROFILE_RELEASE_DEBUG:-false}"
# No `strip = true`: it removes the externref table wasm-bindgen needs
# (cloudflare/workers-rs#1014); wasm-opt drops the names and debug sections anyway.
exec worker-build --release "$@"
