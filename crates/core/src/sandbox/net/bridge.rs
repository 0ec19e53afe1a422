//! The bridge inside a lane's network namespace: it listens on loopback ports there,
//! carries every connection over the proxy's Unix socket, and runs the agent.
//!
//! Bakeoff runs it as a hidden subcommand of its own binary, as the sandbox's first
//! process, so it is a process entry point: unlike the rest of the core it prints its
//! own failures to stderr and forwards the signals it receives, because nothing above it
//! inside the sandbox could.

use std::ffi::{OsStr, OsString};
use std::io;
use std::net::Ipv4Addr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinSet;

use super::head::{read_head, MAX_HEADERS};

/// The exit code of a bridge that could not set itself up (as `env` and `timeout` do).
const BRIDGE_FAILED: i32 = 125;
/// The exit code when the program cannot be run (as a shell does).
const CANNOT_RUN: i32 = 127;

/// What a bridge does: where the proxy is, which ports to listen on, what to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeSpec {
    /// The proxy's Unix socket, as mounted inside the sandbox.
    pub socket: PathBuf,
    /// The port of `HTTPS_PROXY=http://127.0.0.1:PORT`: its connections speak the proxy
    /// protocol themselves and are passed to the proxy as they are.
    pub proxy_port: u16,
    /// Ports of the host's loopback to make reachable on the sandbox's own: a connection
    /// to `127.0.0.1:X` inside becomes a `CONNECT 127.0.0.1:X` through the proxy, so an
    /// agent whose base URL is `http://127.0.0.1:X` works unchanged.
    pub forwards: Vec<u16>,
    /// The agent to run, with its arguments.
    pub program: OsString,
    pub args: Vec<OsString>,
}

impl BridgeSpec {
    /// The spec as command-line arguments:
    /// `--socket P --proxy-port N [--forward X]... -- program args...`.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--socket".into(),
            self.socket.clone().into_os_string(),
            "--proxy-port".into(),
            self.proxy_port.to_string().into(),
        ];
        for port in &self.forwards {
            args.push("--forward".into());
            args.push(port.to_string().into());
        }
        args.push("--".into());
        args.push(self.program.clone());
        args.extend(self.args.iter().cloned());
        args
    }

    /// Reads the arguments [`BridgeSpec::to_args`] writes.
    pub fn from_args<I>(args: I) -> Result<BridgeSpec, String>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        let mut args = args.into_iter().map(Into::into);
        let mut socket = None;
        let mut proxy_port = None;
        let mut forwards = Vec::new();
        loop {
            let Some(arg) = args.next() else {
                return Err("the bridge needs `-- program` to run".to_owned());
            };
            match arg.to_str() {
                Some("--") => break,
                Some("--socket") => {
                    let value = value_of(&mut args, "--socket")?;
                    if socket.replace(PathBuf::from(value)).is_some() {
                        return Err("--socket given twice".to_owned());
                    }
                }
                Some("--proxy-port") => {
                    let port = port_of(&value_of(&mut args, "--proxy-port")?, "--proxy-port")?;
                    if proxy_port.replace(port).is_some() {
                        return Err("--proxy-port given twice".to_owned());
                    }
                }
                Some("--forward") => forwards.push(port_of(&value_of(&mut args, "--forward")?, "--forward")?),
                _ => return Err(format!("unknown bridge argument `{}`", arg.to_string_lossy())),
            }
        }
        let program = args.next().ok_or("the bridge needs a program after `--`")?;
        Ok(BridgeSpec {
            socket: socket.ok_or("the bridge needs --socket")?,
            proxy_port: proxy_port.ok_or("the bridge needs --proxy-port")?,
            forwards,
            program,
            args: args.collect(),
        })
    }
}

fn value_of(args: &mut impl Iterator<Item = OsString>, option: &str) -> Result<OsString, String> {
    args.next().ok_or_else(|| format!("{option} needs a value"))
}

fn port_of(value: &OsStr, option: &str) -> Result<u16, String> {
    value
        .to_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| format!("{option} needs a port number, not `{}`", value.to_string_lossy()))
}

/// Runs the bridge: binds every listener, then runs the program with the same stdio,
/// environment and working directory, forwards SIGTERM and SIGINT to it, and returns its
/// exit code (128 + the signal if a signal ended it). 125 if a listener cannot be bound,
/// 127 if the program cannot be run. Blocks; it builds its own runtime.
pub fn run_bridge(spec: BridgeSpec) -> i32 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    match runtime {
        Ok(runtime) => runtime.block_on(bridge(spec)),
        Err(err) => {
            eprintln!("bakeoff sandbox bridge: cannot start: {err}");
            BRIDGE_FAILED
        }
    }
}

async fn bridge(spec: BridgeSpec) -> i32 {
    // Every listener is bound before the program starts, so it never races them.
    let listeners = match Listeners::bind(&spec).await {
        Ok(listeners) => listeners,
        Err((port, err)) => {
            eprintln!("bakeoff sandbox bridge: cannot listen on 127.0.0.1:{port}: {err}");
            return BRIDGE_FAILED;
        }
    };
    // Signals are caught before the program starts, so none is lost in between; the
    // program itself starts with the default dispositions (exec resets caught ones).
    let (mut terminate, mut interrupt) =
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
            (Err(err), _) | (_, Err(err)) => {
                eprintln!("bakeoff sandbox bridge: cannot catch signals: {err}");
                return BRIDGE_FAILED;
            }
        };
    let mut child = match tokio::process::Command::new(&spec.program)
        .args(&spec.args)
        .spawn()
    {
        Ok(child) => child,
        Err(err) => {
            eprintln!(
                "bakeoff sandbox bridge: cannot run {}: {err}",
                spec.program.to_string_lossy()
            );
            return CANNOT_RUN;
        }
    };
    // The runtime, and with it every listener and connection, ends when the bridge returns.
    tokio::spawn(serve(spec.socket.clone(), listeners));
    loop {
        tokio::select! {
            status = child.wait() => return match status {
                Ok(status) => exit_code(status),
                Err(err) => {
                    eprintln!("bakeoff sandbox bridge: cannot wait for {}: {err}", spec.program.to_string_lossy());
                    BRIDGE_FAILED
                }
            },
            Some(()) = terminate.recv() => pass_on(&child, libc::SIGTERM),
            Some(()) = interrupt.recv() => pass_on(&child, libc::SIGINT),
        }
    }
}

fn pass_on(child: &tokio::process::Child, signal: i32) {
    // No id means the child was already reaped; there is nothing left to signal.
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        // SAFETY: kill has no memory effects; the pid is our own unreaped child.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => BRIDGE_FAILED,
    }
}

/// The bridge's bound listeners.
#[derive(Debug)]
pub(crate) struct Listeners {
    proxy: TcpListener,
    forwards: Vec<Forward>,
}

/// One forwarded port: connections accepted on `listener` become `CONNECT
/// 127.0.0.1:target`. Inside the sandbox the two ports are the same; tests, which share
/// the host's loopback with the server they reach, listen elsewhere.
#[derive(Debug)]
pub(crate) struct Forward {
    pub listener: TcpListener,
    pub target: u16,
}

impl Listeners {
    /// Binds `127.0.0.1:proxy_port` and every forwarded port; the port that failed is
    /// in the error.
    async fn bind(spec: &BridgeSpec) -> Result<Listeners, (u16, io::Error)> {
        let proxy = listen(spec.proxy_port).await?;
        let mut forwards = Vec::with_capacity(spec.forwards.len());
        for &port in &spec.forwards {
            forwards.push(Forward {
                listener: listen(port).await?,
                target: port,
            });
        }
        Ok(Listeners { proxy, forwards })
    }

    #[cfg(test)]
    pub(crate) fn new(proxy: TcpListener, forwards: Vec<Forward>) -> Listeners {
        Listeners { proxy, forwards }
    }
}

async fn listen(port: u16) -> Result<TcpListener, (u16, io::Error)> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|err| (port, err))
}

/// Serves every listener until dropped.
pub(crate) async fn serve(socket: PathBuf, listeners: Listeners) {
    let socket: Arc<Path> = socket.into();
    let mut loops = JoinSet::new();
    loops.spawn(accept(listeners.proxy, Arc::clone(&socket), None));
    for forward in listeners.forwards {
        loops.spawn(accept(
            forward.listener,
            Arc::clone(&socket),
            Some(forward.target),
        ));
    }
    while loops.join_next().await.is_some() {}
}

/// Accepts on one listener; with a target, each connection is tunnelled to
/// `127.0.0.1:target`, without one it is passed to the proxy as it is.
async fn accept(listener: TcpListener, socket: Arc<Path>, target: Option<u16>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    connections.spawn(carry(client, Arc::clone(&socket), target));
                }
                // Out of file descriptors, most likely: let connections finish first.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Carries one connection to the proxy. Failures close the client's connection: the
/// proxy has logged whatever it refused, and the client sees a closed connection.
async fn carry(mut client: TcpStream, socket: Arc<Path>, target: Option<u16>) {
    let Ok(mut proxy) = UnixStream::connect(&socket).await else {
        return;
    };
    if let Some(port) = target {
        let request = format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        if proxy.write_all(request.as_bytes()).await.is_err() {
            return;
        }
        let Ok(head) = read_head(&mut proxy).await else {
            return;
        };
        if !established(&head.bytes[..head.len]) || client.write_all(head.rest()).await.is_err() {
            return;
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut proxy).await;
}

/// Whether the proxy's reply head says the tunnel is open.
fn established(head: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut reply = httparse::Response::new(&mut headers);
    matches!(reply.parse(head), Ok(httparse::Status::Complete(_))) && reply.code == Some(200)
}

#[cfg(test)]
mod tests;
