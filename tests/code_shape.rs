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

/// Each module's layer: a module may import only from lower layers (docs/DESIGN.md).
const LAYERS: &[(&str, u8)] = &[
    ("data", 0),
    ("stats", 0),
    ("metrics", 1),
    ("html", 2),
    ("report", 3),
    ("drift", 4),
    ("fleet", 4),
    ("proxy", 4),
    ("contract", 4),
    ("model", 5),
    ("shadow", 6),
    ("registry", 6),
    ("runs", 7),
    ("cmd", 8),
    ("cli", 9),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

#[test]
fn imports_only_point_down_the_layers() {
    let mut upward = Vec::new();
    for file in rust_files(&src()) {
        let name = relative(&file);
        let module = name.split(['/', '.']).next().unwrap_or_default();
        let Some(own) = layer(module) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        for (used, _) in LAYERS {
            let imported = text.contains(&format!("crate::{used}::"))
                || text.contains(&format!("crate::{used};"));
            if *used != module && imported && layer(used) >= Some(own) {
                upward.push(format!("{name} imports crate::{used}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that do not point down:\n{}",
        upward.join("\n")
    );
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
        let uses_clap = text.contains("clap::") || text.contains("#[arg(");
        assert!(
            !uses_clap,
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
            if len > 60 {
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
