//! Printing: Docker's tables, human-readable durations and sizes, and JSON as `inspect`
//! prints it. Nothing here talks to the engine; callers hand in the values.

pub mod containers;
pub mod format;
pub mod human;
pub mod images;
pub mod json;
pub mod networks;
pub mod table;
pub mod transfer;
pub mod volumes;
