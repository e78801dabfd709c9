//! The renderer: [`Message`] to bytes. Writes the start line, each header as `name: value`
//! exactly as stored, an empty line and the body byte for byte. Must not add, drop or reorder
//! headers: builders on `Message` keep Content-Length right.

use core::fmt::Write as _;

use super::model::{Message, StartLine};

impl Message {
    /// The wire form of this message.
    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        let mut head = String::with_capacity(
            64 + self.body.len()
                + self
                    .headers
                    .0
                    .iter()
                    .map(|h| h.name.len() + h.value.len() + 4)
                    .sum::<usize>(),
        );
        // Writing to a String cannot fail; the results are ignored on purpose.
        let _ = match &self.start {
            StartLine::Request {
                method,
                uri,
                version,
            } => write!(head, "{method} {uri} {version}\r\n"),
            StartLine::Response {
                version,
                status,
                reason,
            } => write!(head, "{version} {status} {reason}\r\n"),
        };
        for h in &self.headers.0 {
            head.push_str(&h.name);
            head.push_str(": ");
            head.push_str(&h.value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}
