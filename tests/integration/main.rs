//! All integration tests in one binary, so the suite links once.

mod admin;
mod alerts;
mod bad_input;
mod browser;
mod clips;
mod contract;
mod documents;
mod faults;
mod formats;
mod helpers;
mod hostile;
mod import;
mod ingest_and_serve;
mod jobs;
mod languages;
mod legacy;
mod maintenance;
mod methods;
mod objects;
mod ops;
mod pipeline;
mod scale;
mod search;
mod serving;
mod site;
mod speech;
