//! The `bakeoff` executable: all logic lives in the library.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(bakeoff::cli::main())
}
