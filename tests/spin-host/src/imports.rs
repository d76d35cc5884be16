//! The import check: a component Spin can run imports nothing but interfaces of Spin's
//! `platform` world. The allow-list is that world as spin-sdk 5.2.0 declares it
//! (`wit/world.wit` and `wit/deps/spin@2.0.0/world.wit` of the crate): WASI 0.2 CLI imports
//! (clocks, filesystem, io, random, sockets, cli), `wasi:http` outgoing-handler and types,
//! Spin's own `fermyon:spin` interfaces (2.0.0), `spin:*` 3.x packages, `wasi:keyvalue`
//! draft 2 and `wasi:config` draft. Anything else (a runtime's private interface, a newer
//! WASI the Spin fleet lacks) fails the check.

/// Whether Spin's platform world provides an import named like `ns:pkg/iface@version`.
pub fn spin_provides(name: &str) -> bool {
    let Some((path, version)) = name.split_once('@') else {
        // Unversioned: Spin 1's interfaces, which Spin 2+ keep only for old components.
        return false;
    };
    let Some((package, interface)) = path.split_once('/') else {
        return false;
    };
    let wasi_02 = version.starts_with("0.2.") && !version.contains('-');
    match package {
        "wasi:cli" => {
            wasi_02
                && matches!(
                    interface,
                    "environment"
                        | "exit"
                        | "stdin"
                        | "stdout"
                        | "stderr"
                        | "terminal-input"
                        | "terminal-output"
                        | "terminal-stdin"
                        | "terminal-stdout"
                        | "terminal-stderr"
                )
        }
        "wasi:clocks" => wasi_02 && matches!(interface, "monotonic-clock" | "wall-clock"),
        "wasi:filesystem" => wasi_02 && matches!(interface, "types" | "preopens"),
        "wasi:io" => wasi_02 && matches!(interface, "error" | "poll" | "streams"),
        "wasi:random" => wasi_02 && matches!(interface, "random" | "insecure" | "insecure-seed"),
        "wasi:sockets" => {
            wasi_02
                && matches!(
                    interface,
                    "network"
                        | "instance-network"
                        | "udp"
                        | "udp-create-socket"
                        | "tcp"
                        | "tcp-create-socket"
                        | "ip-name-lookup"
                )
        }
        "wasi:http" => wasi_02 && matches!(interface, "types" | "outgoing-handler"),
        "fermyon:spin" => {
            version == "2.0.0"
                && matches!(
                    interface,
                    "llm"
                        | "redis"
                        | "mqtt"
                        | "postgres"
                        | "mysql"
                        | "sqlite"
                        | "key-value"
                        | "variables"
                        | "rdbms-types"
                )
        }
        "spin:postgres" | "spin:sqlite" | "spin:key-value" | "spin:variables" => {
            version.starts_with("3.")
        }
        "wasi:keyvalue" => {
            version == "0.2.0-draft2" && matches!(interface, "store" | "atomics" | "batch")
        }
        "wasi:config" => version == "0.2.0-draft-2024-09-27" && interface == "store",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_interfaces_pass_and_others_fail() {
        for ok in [
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:io/streams@0.2.6",
            "wasi:cli/environment@0.2.3",
            "fermyon:spin/key-value@2.0.0",
            "fermyon:spin/variables@2.0.0",
        ] {
            assert!(spin_provides(ok), "{ok}");
        }
        for bad in [
            "wasi:http/handler@0.3.0-rc-2026-01-06",
            "wasi:keyvalue/store@0.2.0-draft",
            "wasi:nn/inference@0.2.0",
            "fermyon:spin/key-value@3.0.0",
            "fermyon:spin/key-value",
            "wasmtime:custom/thing@1.0.0",
            "wasi:http/incoming-handler@0.2.0",
        ] {
            assert!(!spin_provides(bad), "{bad}");
        }
    }
}
