//! The example plugin against a real WebSocket server on 127.0.0.1: what it records, and how it
//! behaves when the server misbehaves.

mod artifacts;
mod dashboard;
mod docs;
mod resilience;
mod server;
mod tts;
