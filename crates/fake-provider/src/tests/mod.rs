//! Tests of the fake provider over real loopback connections.

mod client;
mod faults;
mod formats;
mod manual;
mod server;
