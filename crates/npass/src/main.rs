use clap::Parser;

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
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
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
