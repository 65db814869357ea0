//! Thin entry point: parse, run, map the outcome to the exit code. Nothing else exits.

use std::process::ExitCode;

use refit::report::table::escape_controls;
use refit::report::EXIT_ERROR;
use refit::{Failure, Invocation};

fn main() -> ExitCode {
    let invocation = match Invocation::parse_from(std::env::args_os()) {
        Ok(invocation) => invocation,
        Err(err) => {
            // Help and version go to stdout and exit 0; usage errors exit 1 (clap's default 2
            // would read as a FAIL verdict). Nothing is written: no command has run.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match refit::run(invocation) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(failure) => {
            print_failure(&failure);
            ExitCode::from(failure.exit_code())
        }
    }
}

fn print_failure(failure: &Failure) {
    let message = format!("{:#}", failure.error);
    eprintln!("error: {}", escape_controls(&message));
    if let Some(err) = &failure.unreported {
        let message = format!("{err:#}");
        eprintln!(
            "error: the error report was not written either: {}",
            escape_controls(&message)
        );
    }
}
