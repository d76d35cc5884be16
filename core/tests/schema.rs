//! The checked-in `plano_config.schema.json` matches the decoder's definitions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[test]
fn checked_in_schema_is_current() {
    let mut generated = serde_json::to_string_pretty(&plano_core::config::json_schema()).unwrap();
    generated.push('\n');
    let checked_in = include_str!("../plano_config.schema.json");
    assert!(
        generated == checked_in,
        "core/plano_config.schema.json is stale; regenerate it with\n  \
         cargo run -p plano-core --example schema > core/plano_config.schema.json"
    );
}

#[test]
fn schema_lists_every_top_level_key() {
    let schema = plano_core::config::json_schema();
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "version",
        "listeners",
        "model_providers",
        "llm_providers",
        "model_aliases",
        "endpoints",
        "system_prompt",
        "prompt_targets",
        "prompt_guards",
        "ratelimits",
        "tracing",
        "state_storage",
        "overrides",
        "routing_preferences",
        "model_metrics_sources",
        "routing",
        "agents",
        "filters",
        "gateway",
    ] {
        assert!(props.contains_key(key), "{key}");
    }
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], serde_json::json!(["version"]));
    let provider = &props["model_providers"]["items"];
    assert_eq!(provider["required"], serde_json::json!(["model"]));
    assert!(
        provider["properties"]["access_key"]["description"]
            .as_str()
            .unwrap()
            .contains("$VAR")
    );
}
