//! Account-level reqtypes: BALANCE, LICENSEDAYS, CHECKAUTH, GETWEBRTCAUTH, AUTHTOKEN,
//! VOICEMAIL, PHONEBOOKS, PHONEBOOK, USERGROUP and VIRTUALEXT.

pub mod balance;
pub mod login;
pub mod phonebook;
pub mod usergroup;
pub mod virtualext;
pub mod voicemail;

pub use balance::info_balance;
