//! One test binary, a module per area (one link instead of fourteen). Each area's tests run on
//! SQLite, and on PostgreSQL and MariaDB when `SWITCHBOARD_TEST_POSTGRES_URL` /
//! `SWITCHBOARD_TEST_MYSQL_URL` are set (otherwise those variants are reported as ignored).

#[macro_use]
mod common;
mod ami_server;
mod cluster_harness;

mod access;
mod account;
mod agi;
mod ami_client;
mod auth;
mod bans;
mod cdr;
mod clients;
mod cluster;
mod cluster_calls;
mod cluster_live;
mod cluster_unregister;
mod durability;
mod edge;
mod formats;
mod hardening;
mod info_reads;
mod isolation;
mod manual;
mod objects;
mod objects3;
mod outage;
mod realtime;
mod recordings;
mod transport;
mod validation;
mod widget;
