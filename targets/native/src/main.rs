//! `plano`: the gateway's command line (see `plano --help`).

fn main() -> std::process::ExitCode {
    plano::cli::main()
}
