#!/usr/bin/env bash
# Builds filters/llm_gateway (or the crate named as the argument: prompt_gateway) for wasm32-wasip1, size-tuned (the workspace's release profile
# keeps line tables for the native binaries; the filter drops them, optimizes for size with
# LTO and one codegen unit, and is stripped). Output:
# $CARGO_TARGET_DIR/wasm32-wasip1/release/llm_gateway.wasm (prompt_gateway.wasm)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=true \
  CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=s
exec cargo build -p "${1:-llm_gateway}" --lib --target wasm32-wasip1 --release --locked
