//! The legacy endpoint: `/pbx/proxyapi.php` and `/mirtapbx/proxyapi.php`.
pub mod cdr;
pub mod help;
pub mod info;
pub mod live;
pub mod managedb;
pub mod params;
