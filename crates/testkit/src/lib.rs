//! Test machinery that the `bakeoff` release binary does not contain: the scripted fake
//! agent (run as the `scripted-agent` binary), the fake provider with its fault
//! injection turned on, and headless Chromium for the HTML reports' tests.

pub mod chromium;
pub mod scripted_agent;

pub use bakeoff_fake_provider as fake_provider;
