//! What a path holds, in words: the one description every error uses when it refuses
//! anything but a regular file (inputs, outputs, registry files, candidates).

use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;

pub fn describe(kind: FileType) -> &'static str {
    if kind.is_symlink() {
        "a symlink"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_a_path_holds() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        let kind = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().file_type();
        assert_eq!(describe(kind(&link)), "a symlink");
        assert_eq!(describe(kind(dir.path())), "a directory");
        assert_eq!(
            describe(kind(std::path::Path::new("/dev/null"))),
            "a device"
        );
    }
}
