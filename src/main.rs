//! The `bakeoff` executable: all logic lives in the library.

use bakeoff_core::sandbox::{net, BRIDGE_COMMAND};

fn main() -> std::process::ExitCode {
    // Inside a lane's sandbox, bakeoff runs as the network bridge in front of the agent
    // (`sandbox::net`): before any command-line parsing or runtime, so nothing of the
    // usual start-up runs there.
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() == Some(BRIDGE_COMMAND.as_ref()) {
        let code = match net::BridgeSpec::from_args(args) {
            Ok(spec) => net::run_bridge(spec),
            Err(e) => {
                eprintln!("bakeoff {BRIDGE_COMMAND}: {e}");
                2
            }
        };
        return std::process::ExitCode::from(code.clamp(0, 255) as u8);
    }
    std::process::ExitCode::from(bakeoff::cli::main())
}
