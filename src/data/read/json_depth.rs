//! Polars' NDJSON reader recurses once per nesting level, so a line like `[[[[...` 5,000 deep
//! overflows the stack and aborts the process. One byte pass counts `[` and `{` outside
//! strings first, the way refit's own JSON parsing stops at a recursion limit.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Far deeper than any record refit can compare (flat rows), far shallower than the stack.
pub const MAX_DEPTH: u32 = 64;

/// Fails naming the file and the line when a value nests deeper than [`MAX_DEPTH`].
pub fn check_ndjson_depth(path: &Path) -> Result<()> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut depth = Depth::default();
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            return Ok(());
        }
        if let Some(line) = depth.feed(&buf[..n]) {
            bail!(
                "{} line {line}: JSON nested deeper than {MAX_DEPTH} levels; refit reads one \
                 flat record per line",
                path.display()
            );
        }
    }
}

/// Nesting state carried across buffers; a newline ends a record, whatever state it left.
#[derive(Default)]
struct Depth {
    line: u64,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl Depth {
    /// The 1-based line that goes too deep, if any.
    fn feed(&mut self, bytes: &[u8]) -> Option<u64> {
        for &b in bytes {
            if b == b'\n' {
                *self = Depth {
                    line: self.line + 1,
                    ..Depth::default()
                };
            } else if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'[' | b'{' => {
                        self.depth += 1;
                        if self.depth > MAX_DEPTH {
                            return Some(self.line + 1);
                        }
                    }
                    b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_deep_line_and_ignores_brackets_in_strings() {
        let deep = format!("{}1{}", "[".repeat(65), "]".repeat(65));
        let text = format!("{{\"a\": \"[[[[\\\"{{{{\"}}\n{{\"b\": [[1]]}}\n{{\"c\": {deep}}}\n");
        assert_eq!(Depth::default().feed(text.as_bytes()), Some(3));
        let ok = format!("{}1{}", "[".repeat(63), "]".repeat(63));
        assert_eq!(
            Depth::default().feed(format!("{{\"x\": {ok}}}\n").as_bytes()),
            None
        );
    }
}
