//! Switchboard: a multi-tenant hosted-PBX admin server speaking the MiRTA ProxyAPI.
pub mod ami;
pub mod app;
pub mod auth;
pub mod cdr;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod files;
pub mod media;
pub mod objects;
pub mod proxyapi;
pub mod render;
pub mod settings;
pub mod sqlite_reader;
