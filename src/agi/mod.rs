//! FastAGI front door: the nodes ask what a call does next (`shared/spec/agi.md` is the
//! protocol as Asterisk 22 speaks it; [`contract`] is what the dialplan and the service agree
//! on). Own code: a line codec with caps, the environment block, quoted commands, responses.

pub mod contract;
pub mod proto;
pub mod server;

pub use server::{spawn, AgiConfig};
