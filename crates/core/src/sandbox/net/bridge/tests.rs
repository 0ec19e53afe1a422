use std::ffi::OsString;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::sandbox::net::test_support::{echo_server, free_port, paths, refused_lines, round_trip, soon};
use crate::sandbox::net::{Allow, Proxy};

/// A bridge serving a proxy in `dir`: its proxy port, and the port of the one forward
/// it makes to `127.0.0.1:target`.
async fn bridge_in(dir: &Path, target: u16) -> (u16, u16) {
    let (socket, _) = paths(dir);
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let forward = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ports = (
        proxy.local_addr().unwrap().port(),
        forward.local_addr().unwrap().port(),
    );
    let listeners = Listeners::new(
        proxy,
        vec![Forward {
            listener: forward,
            target,
        }],
    );
    tokio::spawn(serve(socket, listeners));
    ports
}

fn proxy_in(dir: &Path, rules: &[String]) -> Proxy {
    let (socket, log) = paths(dir);
    Proxy::start(&socket, Allow::parse(rules).unwrap(), log).unwrap()
}

#[tokio::test]
async fn a_forwarded_port_reaches_an_allowed_server_through_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let echo = echo_server().await;
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{echo}")]);
    let (_, forward) = bridge_in(dir.path(), echo).await;
    let mut client = TcpStream::connect(("127.0.0.1", forward)).await.unwrap();
    round_trip(&mut client, b"the agent's request").await;
    round_trip(&mut client, b"and another").await;
    assert_eq!(proxy.refused(), 0);
}

#[tokio::test]
async fn a_forwarded_port_the_proxy_refuses_is_closed_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let echo = echo_server().await;
    let other = free_port();
    let proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{echo}")]);
    let (_, forward) = bridge_in(dir.path(), other).await;
    let mut client = TcpStream::connect(("127.0.0.1", forward)).await.unwrap();
    let mut got = Vec::new();
    soon(client.read_to_end(&mut got)).await.unwrap();
    assert!(
        got.is_empty(),
        "the client sees a closed connection, not the proxy's reply"
    );
    assert_eq!(proxy.refused(), 1);
    let lines = refused_lines(&paths(dir.path()).1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["host"], "127.0.0.1");
    assert_eq!(lines[0]["port"], other);
}

#[tokio::test]
async fn the_proxy_port_passes_proxy_requests_through() {
    let dir = tempfile::tempdir().unwrap();
    let echo = echo_server().await;
    let _proxy = proxy_in(dir.path(), &[format!("127.0.0.1:{echo}")]);
    let (proxy_port, _) = bridge_in(dir.path(), echo).await;
    let mut client = TcpStream::connect(("127.0.0.1", proxy_port)).await.unwrap();
    let request = format!("CONNECT 127.0.0.1:{echo} HTTP/1.1\r\n\r\n");
    client.write_all(request.as_bytes()).await.unwrap();
    let expected = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let mut head = vec![0; expected.len()];
    soon(client.read_exact(&mut head)).await.unwrap();
    assert_eq!(head, expected);
    round_trip(&mut client, b"tunnelled").await;
}

fn spec(program: &str, args: &[&str]) -> BridgeSpec {
    BridgeSpec {
        socket: PathBuf::from("/nonexistent/bakeoff-proxy.sock"),
        proxy_port: 0,
        forwards: Vec::new(),
        program: program.into(),
        args: args.iter().map(OsString::from).collect(),
    }
}

#[test]
fn the_bridge_returns_what_its_program_exits_with() {
    assert_eq!(run_bridge(spec("sh", &["-c", "exit 7"])), 7);
    assert_eq!(run_bridge(spec("sh", &["-c", "exit 0"])), 0);
    assert_eq!(
        run_bridge(spec("sh", &["-c", "kill -TERM $$"])),
        128 + libc::SIGTERM
    );
    assert_eq!(run_bridge(spec("/nonexistent/bakeoff-agent", &[])), 127);
}

#[test]
fn a_port_that_cannot_be_bound_fails_the_bridge_before_the_program_runs() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let ran = dir.path().join("ran");
    let mut spec = spec("sh", &["-c", "touch \"$0\""]);
    spec.args.push(ran.clone().into());
    spec.forwards = vec![port];
    assert_eq!(run_bridge(spec), 125);
    assert!(!ran.exists(), "the program must not run");
}

#[test]
fn the_spec_round_trips_through_arguments() {
    let spec = BridgeSpec {
        socket: PathBuf::from("/run/bakeoff/proxy.sock"),
        proxy_port: 3128,
        forwards: vec![8080, 11434],
        program: "claude".into(),
        args: vec!["-p".into(), "--".into(), "--forward".into(), "fix the bug".into()],
    };
    let args = spec.to_args();
    assert_eq!(
        args[..4],
        ["--socket", "/run/bakeoff/proxy.sock", "--proxy-port", "3128"].map(OsString::from)
    );
    assert_eq!(BridgeSpec::from_args(args), Ok(spec.clone()));
    let bare = BridgeSpec {
        forwards: Vec::new(),
        args: Vec::new(),
        ..spec
    };
    assert_eq!(BridgeSpec::from_args(bare.to_args()), Ok(bare));
}

#[test]
fn bad_bridge_arguments_are_errors() {
    for args in [
        &["--socket", "s", "--proxy-port", "1"][..],
        &["--socket", "s", "--proxy-port", "1", "--"],
        &["--proxy-port", "1", "--", "sh"],
        &["--socket", "s", "--", "sh"],
        &["--socket", "s", "--proxy-port", "http", "--", "sh"],
        &[
            "--socket",
            "s",
            "--proxy-port",
            "1",
            "--forward",
            "70000",
            "--",
            "sh",
        ],
        &["--socket", "s", "--socket", "t", "--proxy-port", "1", "--", "sh"],
        &["--socket", "s", "--proxy-port", "1", "--verbose", "--", "sh"],
        &["--socket"],
    ] {
        assert!(BridgeSpec::from_args(args.iter().copied()).is_err(), "{args:?}");
    }
}
