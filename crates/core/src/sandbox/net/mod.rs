//! The network half of a lane's sandbox. The agent runs under bubblewrap with
//! `--unshare-net`, in a network namespace of its own that holds only a loopback
//! interface: the host's network, loopback included, is out of reach, so the only way
//! out is one bakeoff makes. That way is a Unix socket, bind-mounted into the sandbox,
//! on which bakeoff's [`Proxy`] listens on the host side. Inside, the [`run_bridge`]
//! process (bakeoff's own binary, run as the sandbox's first process) listens on
//! 127.0.0.1 ports of the namespace, carries each connection over the socket, and runs
//! the agent. The proxy lets through only the `host:port` destinations of its [`Allow`]
//! list (the lane's provider), answers everything else with a 403, and appends each
//! refusal to a JSON-lines refused log, so a person can see what an agent tried to reach.

mod allow;
mod bridge;
mod head;
mod proxy;

#[cfg(test)]
mod test_support;

pub use allow::{Allow, AllowError, Rule};
pub use bridge::{run_bridge, BridgeSpec};
pub use head::{HEAD_LIMIT, HEAD_TIMEOUT};
pub use proxy::Proxy;
