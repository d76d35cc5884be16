#!/usr/bin/env bash
# Builds the Spin component: build/plano_spin.wasm (the `source` of spin.toml), a WASI 0.2
# component for wasm32-wasip2, size-tuned (opt-level s, LTO, one codegen unit, no debug
# info). `spin build` runs this (spin.toml's [component.plano.build]); so does tests/spin/run.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-s}"
export CARGO_PROFILE_RELEASE_LTO="${CARGO_PROFILE_RELEASE_LTO:-true}"
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-1}"
export CARGO_PROFILE_RELEASE_DEBUG="${CARGO_PROFILE_RELEASE_DEBUG:-false}"
export CARGO_PROFILE_RELEASE_STRIP="${CARGO_PROFILE_RELEASE_STRIP:-true}"
(cd "$ROOT" && cargo build --lib --locked --release --target wasm32-wasip2 -p plano-spin)
mkdir -p build
cp "$CARGO_TARGET_DIR/wasm32-wasip2/release/plano_spin.wasm" build/plano_spin.wasm
