//! One byte pass over a CSV file before Polars reads it: Polars pads short rows with nulls and
//! renames duplicate headers (`age_duplicated_0`), so a ragged row or a repeated column would
//! otherwise pass silently. The pass also finds columns with no value at all, which Polars
//! types as text.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// What the pass learnt: the header, the rows and, per column, whether any row holds a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvShape {
    pub header: Vec<String>,
    pub rows: u64,
    pub has_values: Vec<bool>,
}

impl CsvShape {
    /// Columns in which every field is empty (all of them when there are no rows).
    pub fn empty_columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.has_values
            .iter()
            .enumerate()
            .filter(|(_, seen)| !**seen)
            .map(|(i, _)| i)
    }
}

/// Checks that every row has as many fields as the header and that no header repeats.
/// `None` for an empty file (the reader reports that itself).
pub fn check_csv(path: &Path) -> Result<Option<CsvShape>> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut scanner = Scanner::default();
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        scanner
            .feed(&buf[..n])
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    scanner
        .finish()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// A quote toggles quoting wherever it appears, as in Polars' splitter, so `""` inside a
/// quoted field toggles twice and stays quoted.
#[derive(Default)]
struct Scanner {
    header: Option<Vec<String>>,
    header_field: Vec<u8>,
    header_fields: Vec<String>,
    header_bytes: usize,
    has_values: Vec<bool>,
    rows: u64,
    quoted: bool,
    /// Fields completed in the current row.
    field: usize,
    /// The current field has a byte (a quote counts: `""` is an empty string, not a null).
    field_has_bytes: bool,
    /// The current row has a byte, so it is not a blank line.
    row_has_bytes: bool,
    line: u64,
    row_line: u64,
}

/// The header's names are kept in memory: a binary file named `.csv` must not fill it.
const MAX_HEADER_BYTES: usize = 16 << 20;

/// A mask with 0x80 in each byte of `word` that is a separator, a quote or a line end.
/// Eight bytes at a time (SWAR): most bytes of a CSV file are plain field content.
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // Exact per byte: 0x80 where the byte of `x` is zero, no borrow between bytes.
    let zero = |x: u64| !((x & LOW7).wrapping_add(LOW7) | x | LOW7);
    zero(word ^ (ONES * u64::from(b',')))
        | zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\n')))
        | zero(word ^ (ONES * u64::from(b'\r')))
}

impl Scanner {
    /// The header goes byte by byte, as its names are kept; then only separators, quotes
    /// and line ends change state, found eight bytes at a time.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut i = 0;
        while self.header.is_none() && i < bytes.len() {
            self.byte(bytes[i])?;
            i += 1;
        }
        let mut words = bytes[i..].chunks_exact(8);
        for word in &mut words {
            let mut mask = special_bytes(u64::from_le_bytes(word.try_into().expect("8 bytes")));
            let mut plain_from = 0;
            while mask != 0 {
                let at = (mask.trailing_zeros() / 8) as usize;
                if at > plain_from {
                    self.plain();
                }
                match word[at] {
                    b',' if !self.quoted => self.end_value(),
                    b => self.byte(b)?,
                }
                plain_from = at + 1;
                mask &= mask - 1;
            }
            if plain_from < 8 {
                self.plain();
            }
        }
        for &b in words.remainder() {
            self.byte(b)?;
        }
        Ok(())
    }

    fn plain(&mut self) {
        self.field_has_bytes = true;
        self.row_has_bytes = true;
    }

    fn byte(&mut self, b: u8) -> Result<(), String> {
        match b {
            b'\n' => {
                self.line += 1;
                if !self.quoted {
                    return self.end_row();
                }
            }
            b'"' => self.quoted = !self.quoted,
            b',' if !self.quoted => {
                self.end_field();
                return Ok(());
            }
            b'\r' if !self.quoted => return Ok(()),
            _ => {}
        }
        self.plain();
        if self.header.is_none() && b != b'"' {
            self.header_field.push(b);
            self.header_bytes += 1;
            if self.header_bytes > MAX_HEADER_BYTES {
                return Err("line 1: the header is longer than 16 MiB; is this a CSV file?".into());
            }
        }
        Ok(())
    }

    fn end_field(&mut self) {
        if self.header.is_some() {
            return self.end_value();
        }
        let name = String::from_utf8_lossy(&self.header_field);
        self.header_fields
            .push(name.trim_start_matches('\u{feff}').to_string());
        self.header_field.clear();
        self.field += 1;
        self.field_has_bytes = false;
        self.row_has_bytes = true;
    }

    /// The end of a field after the header: the hot path, once per field of the file.
    fn end_value(&mut self) {
        if self.field_has_bytes {
            if let Some(seen) = self.has_values.get_mut(self.field) {
                *seen = true;
            }
        }
        self.field += 1;
        self.field_has_bytes = false;
        self.row_has_bytes = true;
    }

    fn end_row(&mut self) -> Result<(), String> {
        let row_line = std::mem::replace(&mut self.row_line, self.line);
        let blank = !self.row_has_bytes;
        // Polars skips blank lines, except in a one-column file where one is a null.
        if blank && self.header.as_ref().is_none_or(|h| h.len() > 1) {
            return Ok(());
        }
        self.end_field();
        let fields = std::mem::take(&mut self.field);
        self.row_has_bytes = false;
        match &self.header {
            None => self.take_header(row_line + 1),
            Some(header) if fields != header.len() => Err(format!(
                "line {}: {fields} field{}, but the header has {} ({}); every row needs one \
                 field per column",
                row_line + 1,
                if fields == 1 { "" } else { "s" },
                header.len(),
                if fields > header.len() {
                    "extra fields"
                } else {
                    "missing fields"
                }
            )),
            Some(_) => {
                self.rows += 1;
                Ok(())
            }
        }
    }

    fn take_header(&mut self, line: u64) -> Result<(), String> {
        let header = std::mem::take(&mut self.header_fields);
        let mut names = std::collections::HashSet::new();
        for name in header.iter().filter(|name| !name.is_empty()) {
            if !names.insert(name.as_str()) {
                return Err(format!(
                    "line {line}: column `{name}` appears twice in the header; column names \
                     must be unique"
                ));
            }
        }
        self.has_values = vec![false; header.len()];
        self.header = Some(header);
        Ok(())
    }

    fn finish(mut self) -> Result<Option<CsvShape>, String> {
        if self.quoted {
            return Err(format!(
                "line {}: a quoted field is never closed",
                self.row_line + 1
            ));
        }
        if self.row_has_bytes {
            self.end_row()?;
        }
        Ok(self.header.map(|header| CsvShape {
            header,
            rows: self.rows,
            has_values: self.has_values,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Result<Option<CsvShape>, String> {
        // Fed in pieces of 3 and 13 bytes: state must carry across buffers and words.
        let mut scanner = Scanner::default();
        for piece in text.as_bytes().chunks(3) {
            scanner.feed(piece)?;
        }
        let whole = scanner.finish();
        let mut scanner = Scanner::default();
        for piece in text.as_bytes().chunks(13) {
            scanner.feed(piece)?;
        }
        assert_eq!(scanner.finish(), whole);
        whole
    }

    #[test]
    fn finds_exactly_the_special_bytes_of_a_word() {
        for b in 0..=255u8 {
            let mut word = *b"abcdefgh";
            word[3] = b;
            let want = if b",\"\n\r".contains(&b) {
                0x80 << 24
            } else {
                0
            };
            assert_eq!(special_bytes(u64::from_le_bytes(word)), want, "byte {b:#x}");
        }
    }

    #[test]
    fn accepts_quotes_crlf_blank_lines_and_no_final_newline() {
        let s = shape("a,\"b,c\"\r\n1,\"x\ny\"\r\n\r\n2,\"say \"\"hi\"\"\"\r\n3,z").unwrap();
        let s = s.unwrap();
        assert_eq!(s.header, vec!["a", "b,c"]);
        assert_eq!((s.rows, s.has_values), (3, vec![true, true]));
        assert_eq!(shape("").unwrap(), None);
    }

    #[test]
    fn names_the_line_of_a_ragged_row() {
        let err = shape("a,b\n1,2\n3,\"x\ny\",4\n5,6\n").unwrap_err();
        assert!(err.starts_with("line 3: 3 fields"), "{err}");
        let err = shape("a,b\n1,2\n3\n").unwrap_err();
        assert!(
            err.contains("line 3: 1 field,") && err.contains("missing"),
            "{err}"
        );
        let err = shape("a,b\n1,\"2\n").unwrap_err();
        assert!(
            err.contains("line 2: a quoted field is never closed"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_headers_and_empty_columns() {
        let err = shape("a,b,\"a\"\n1,2,3\n").unwrap_err();
        assert!(err.contains("column `a` appears twice"), "{err}");
        let s = shape("a,b,c\n1,,\"\"\n2,,\n").unwrap().unwrap();
        assert_eq!(s.empty_columns().collect::<Vec<_>>(), vec![1]);
        let one = shape("a\n1\n\n2\n").unwrap().unwrap();
        assert_eq!(one.has_values, vec![true]);
    }
}
