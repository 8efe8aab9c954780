//! The cluster: Asterisk nodes, the outbox that carries the node actions caused by writes, and
//! (with the AMI client) the dispatcher and the live reqtypes.

pub mod bans;
pub mod cli;
pub mod dispatcher;
pub mod events;
pub mod flows;
pub mod live;
pub mod nodes;
pub mod outbox;
pub mod registry;

pub use registry::{Cluster, Node, Settings};
