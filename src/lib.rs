//! aula: a council-session video archive and streaming server.
//!
//! The library holds every capability; the `aula` binary (src/main.rs) and the HTTP layer
//! (`http`) are thin shells around it. See DESIGN.md in the shared folder for the picture.

pub mod alerts;
pub mod archive;
pub mod auth;
pub mod batch;
pub mod catalog;
pub mod clips;
pub mod config;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod estimate;
pub mod http;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod legacy;
pub mod live;
pub mod maintenance;
pub mod people;
pub mod process;
pub mod search;
pub mod speech;
pub mod storage;
pub mod text;
pub mod urls;

pub use archive::Archive;
pub use config::Config;
