//! The legacy endpoint: `/pbx/proxyapi.php` and `/mirtapbx/proxyapi.php`.
pub mod cdr;
pub mod flows;
pub mod help;
pub mod info;
pub mod live;
pub mod managedb;
pub mod params;
pub mod peers;
pub mod queues;
