//! What every integration test uses, one room per concern: media made with ffmpeg's lavfi
//! sources (`media`), the real `aula` binary (`cli`), the real server and its client
//! (`app`), the catalog underneath (`catalog`), scratch files (`files`), the browser scripts
//! (`browser`), a real SMTP server (`mail`), and waiting for something that happens in the background (`eventually`).
//! Tests name these through `crate::helpers::X`; the modules stay private details.

mod app;
mod browser;
mod catalog;
mod cli;
mod eventually;
mod files;
mod mail;
mod media;

pub use app::*;
pub use browser::*;
pub use catalog::*;
pub use cli::*;
pub use eventually::*;
pub use files::*;
pub use mail::*;
pub use media::*;

pub const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
