//! `dinstyle`: arbitrary neural style transfer (Dynamic Instance Normalization) from the
//! command line. See `dinstyle --help`.

mod cli;

use mimalloc::MiMalloc;

// The network allocates large short-lived buffers per frame; glibc's allocator returns them to
// the OS and page-faults them back in every time.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
