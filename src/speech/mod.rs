//! Speech to text, offline: the engine (`asr/aula_asr.py`, faster-whisper, as a child
//! process), where a long recording is cut (`chunks`), the session's own words given to the
//! engine (`prompt`), the words heard made into captions (`captions`), and how far a
//! transcript is from what was said (`score`). The transcribe job that runs them is in
//! `jobs::transcribe`; nothing here knows the catalog or HTTP.

pub mod captions;
pub mod chunks;
pub mod editing;
pub mod engine;
pub mod prompt;
pub mod score;

pub use engine::{check, installed, Engine, EngineError, Heard, Word};
