//! File-based tests: every error and warning, for both TOML and JSONC, asserting the exact
//! `file:line:col` and key in the rendered messages.

mod robustness;
mod single_file;
mod support;
mod world;
