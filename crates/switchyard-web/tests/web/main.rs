//! Behaviour tests for the Web APIs, written from the WHATWG/W3C specs.

mod common;

mod blob;
mod bytes;
mod clone;
mod console;
mod crypto;
mod encoding;
mod events;
mod fetch;
mod headers;
mod messaging;
mod misc;
mod rust_api;
mod streams;
mod url;
mod urlpattern;
mod wire;
mod writable;
