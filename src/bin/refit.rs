//! Thin entry point: parse, run, map the outcome to the exit code. Nothing else exits.

use std::process::ExitCode;

use clap::Parser;
use refit::cli::Cli;
use refit::model::external::Interrupted;
use refit::report::table::escape_controls;
use refit::report::EXIT_ERROR;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout and exit 0; usage errors exit 1 (clap's default 2
            // would read as a FAIL verdict).
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match refit::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) => {
            let message = format!("{err:#}");
            eprintln!("error: {}", escape_controls(&message));
            // Stopped by a signal: 128 + the signal, as a shell reports it.
            let code = err
                .downcast_ref::<Interrupted>()
                .map_or(EXIT_ERROR, Interrupted::exit_code);
            ExitCode::from(code)
        }
    }
}
