//! The code's shape, checked: imports only point down, clap stays at the edge, and a command
//! stays a recipe (docs/DESIGN.md, "Layers").

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

#[test]
fn only_lib_and_the_binary_import_the_cli() {
    for file in rust_files(&src()) {
        let name = relative(&file);
        if ["lib.rs", "cli.rs", "bin/refit.rs"].contains(&name.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("crate::cli"), "{name} imports the CLI");
    }
}

#[test]
fn clap_stays_in_the_cli_and_the_command_files() {
    for file in rust_files(&src()) {
        let name = relative(&file);
        let edge = ["lib.rs", "cli.rs"].contains(&name.as_str());
        if edge || name.starts_with("cmd/") || name.starts_with("bin/") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("clap"),
            "{name} uses clap; convert at the edge (cmd/args.rs)"
        );
    }
}

/// Lengths of the top-level and impl functions of a file: from `fn` to its closing brace.
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let is_fn = ["fn ", "pub fn ", "pub(crate) fn "]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if !is_fn || trimmed.ends_with(';') {
            continue;
        }
        let closing = format!("{}}}", " ".repeat(indent));
        if let Some(len) = lines[start..].iter().position(|l| *l == closing) {
            let name = trimmed.split('(').next().unwrap_or(trimmed).to_string();
            found.push((name, len + 1));
        }
    }
    found
}

#[test]
fn no_command_function_is_longer_than_about_sixty_lines() {
    let mut long = Vec::new();
    for file in rust_files(&src().join("cmd")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (name, len) in function_lengths(&text) {
            if len > 65 {
                long.push(format!("{}: {name} is {len} lines", relative(&file)));
            }
        }
    }
    assert!(
        long.is_empty(),
        "move the rules into a library module:\n{}",
        long.join("\n")
    );
}

#[test]
fn function_lengths_count_from_fn_to_its_brace() {
    let text = "fn a() {\n    x;\n}\n\nimpl T {\n    pub fn b(&self) {\n        y;\n    }\n}\n";
    assert_eq!(
        function_lengths(text),
        vec![("fn a".to_string(), 3), ("pub fn b".to_string(), 3)]
    );
}
