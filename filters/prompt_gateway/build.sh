#!/usr/bin/env bash
# Builds filters/prompt_gateway for wasm32-wasip1, size-tuned like llm_gateway (its build.sh).
# Output: $CARGO_TARGET_DIR/wasm32-wasip1/release/prompt_gateway.wasm
set -euo pipefail
exec "$(dirname "$0")/../llm_gateway/build.sh" prompt_gateway
