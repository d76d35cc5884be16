//! Prints the JSON Schema of `plano_config.yaml`.
//!
//! `cargo run -p plano-core --example schema > core/plano_config.schema.json`

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(&plano_core::config::json_schema())?;
    text.push('\n');
    std::io::stdout().write_all(text.as_bytes())
}
