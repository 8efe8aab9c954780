//! The connection actor of one node and its [`Client`] handle.
//!
//! [`handle`] is the handle callers hold, [`actor`] the reconnect loop behind it, [`conn`] one
//! TCP link, [`login`] the login phase and `check`, [`session`] the logged-in link: writing
//! actions, matching answers by ActionID and publishing events.

mod actor;
mod conn;
mod handle;
mod login;
mod session;

pub use handle::{Client, Originated};
pub use login::{check, CheckReport, REQUIRED_ACTIONS};
