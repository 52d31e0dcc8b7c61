use clap::Parser;

/// mimalloc instead of the C library's allocator: a request allocates and frees many small
/// objects, and side by side it gave more refreshes per CPU-second and less CPU per login flow
/// for a little more idle memory. Transparent huge pages stay off for the process (`no_thp`):
/// with them mimalloc kept more resident. The figures: docs/performance.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = npass::cli::Cli::parse();
    let level = npass::cli::load(&cli).map(|c| c.log).unwrap_or_default();
    let filter = match level.level.as_str() {
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "debug" => tracing::Level::DEBUG,
        "trace" => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(filter)
        .with_writer(std::io::stderr);
    if level.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    // On one CPU (a one-core container, or pinned as the load harness pins it) a work-stealing
    // scheduler has no other worker to share with: its bookkeeping, and its slot that lets a
    // just-woken task overtake the queue, only spread the latencies (at a saturating refresh
    // load, p99 6.2-6.5 ms on one thread against 6.8-7.1 ms, the same throughput).
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let mut runtime = if one_cpu {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let rt = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("npass: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err((code, msg)) = rt.block_on(npass::cli::run(cli)) {
        eprintln!("npass: {msg}");
        std::process::exit(code);
    }
}
