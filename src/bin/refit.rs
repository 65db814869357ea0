//! Thin entry point: parse, run, map the outcome to the exit code. Nothing else exits.

use std::process::ExitCode;

use refit::report::table::escape_controls;
use refit::report::EXIT_ERROR;
use refit::{Failure, Invocation};

/// Column buffers of hundreds of MiB come and go once per feature. Returned to the kernel, each
/// comes back as fresh pages the kernel must zero: at 50M rows glibc's malloc spent a third of
/// drift-check's time in page faults (perf: clear_page_erms 29%). Built without transparent
/// huge pages (feature no_thp): with them, first touches of 2 MiB pages made score-proxy's
/// system time 3.9 s instead of 0.5 s on these VMs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`, mimalloc v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Keep freed memory for reuse instead of purging it (refit's processes are short-lived and
    // their peak is reached anyway); MIMALLOC_PURGE_DELAY in the environment still wins.
    // SAFETY: a plain setter of a global option, called before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, -1) };
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
