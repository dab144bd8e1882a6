//! The `switchyard` command: run Cloudflare Workers projects from their wrangler configs.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use switchyard_runtime::{Fleet, RuntimeOptions};
use switchyard_server::{Server, ServerOptions};

#[derive(Parser, Debug)]
#[command(
    name = "switchyard",
    version,
    about = "Run Cloudflare Workers (a router plus service workers joined by service bindings) on your own machine",
    long_about = None,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve workers locally, like `wrangler dev -c … -c …`.
    ///
    /// The first config is the entry worker, served on --ip:--port. The others are auxiliary
    /// workers, reachable from the entry worker (and each other) through service bindings, which
    /// run in-process on the same thread.
    ///
    /// Example: switchyard dev -c wrangler.router.toml -c auth/wrangler.toml -c api/wrangler.jsonc
    Dev(DevArgs),

    /// Validate workers without serving them, and report each one's module graph.
    ///
    /// Loads every config and every module the way `dev` does (so the same errors stop it),
    /// evaluates each worker once, then prints per worker: the number of modules, their total
    /// size and gzip size (what Cloudflare counts against the bundle size limit), the time to
    /// load it into a new isolate, the JavaScript heap one isolate of it holds between
    /// requests, and any warnings. Exits non-zero if anything would stop `dev`.
    ///
    /// Example: switchyard check -c wrangler.toml -c users/wrangler.toml
    Check(CheckArgs),
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// A wrangler.toml, wrangler.jsonc or wrangler.json. Repeat for each worker; the first is the
    /// entry worker.
    #[arg(short = 'c', long = "config", value_name = "FILE", required = true)]
    configs: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct DevArgs {
    /// A wrangler.toml, wrangler.jsonc or wrangler.json. Repeat for each worker; the first is the
    /// entry worker.
    #[arg(short = 'c', long = "config", value_name = "FILE", required = true)]
    configs: Vec<PathBuf>,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,

    /// Server threads; each runs its own isolate of every worker. Defaults to the number of cores.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,

    /// Largest request body accepted; larger ones get 413. Bytes, or with a unit: 10MB, 512KiB.
    #[arg(long, default_value = "100MB", value_parser = parse_size)]
    max_body_size: u64,

    /// Seconds a fetch handler may take before its request fails with a 500. It bounds waiting
    /// (timers, bindings); busy code is stopped by the worker's CPU limit (`[limits] cpu_ms`).
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    request_timeout: f64,

    /// Seconds a client may take to send a request's line and headers; a slower one (slowloris)
    /// has its connection closed.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    header_timeout: f64,

    /// Seconds a client may take to send a request body; a slower upload gets 408 and its
    /// connection is closed.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    body_timeout: f64,

    /// Seconds an isolate may sit idle (no request, timer, waitUntil work or open stream) before
    /// it is freed; the worker's next request starts a new one, as its first did, with its
    /// globals evaluated afresh (as on Cloudflare, which evicts idle isolates too). "never" keeps
    /// every isolate.
    #[arg(long, default_value = "30", value_name = "SECONDS", value_parser = parse_idle_timeout)]
    isolate_idle_timeout: IdleTimeout,

    /// Live isolates each server thread keeps (default: no limit). Starting one more frees the
    /// least recently used one that has nothing in flight: a bound on memory when thousands of
    /// tenants are active within the idle timeout (a hello worker's isolate is ~0.5 MB).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_isolates: Option<u32>,
}

/// `--isolate-idle-timeout`: at least 0.1 s (shorter would start a new isolate for nearly every
/// request), or never.
#[derive(Clone, Copy, Debug)]
struct IdleTimeout(Option<Duration>);

fn parse_idle_timeout(text: &str) -> Result<IdleTimeout, String> {
    if text.trim().eq_ignore_ascii_case("never") {
        return Ok(IdleTimeout(None));
    }
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .filter(|timeout| *timeout >= Duration::from_millis(100))
        .map(|timeout| IdleTimeout(Some(timeout)))
        .ok_or_else(|| {
            format!(
                "\"{text}\" is not a usable number of seconds: use a number from 0.1 up, such as \
                 30 or 0.5, or never"
            )
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Dev(args) => dev(args),
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let (world, warnings) = match switchyard_config::load_world(&args.configs) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("switchyard check: failed: fix the config errors above");
            return ExitCode::FAILURE;
        }
    };
    for warning in &warnings {
        eprintln!("{warning}");
    }
    let (fleet, reports) = match Fleet::load(&world, RuntimeOptions::default()) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!(
                "switchyard check: failed: {} worker error(s) above",
                errors.len()
            );
            return ExitCode::FAILURE;
        }
    };
    let mut warning_count = warnings.len();
    let mut failed = 0;
    for (i, report) in reports.iter().enumerate() {
        let Some((_, spec)) = fleet.specs().find(|(name, _)| *name == report.name) else {
            continue;
        };
        let (load, memory) = match fleet.measure_new_isolate(&report.name, 5) {
            Some(Ok(cost)) => (
                format!("{:.2} ms", cost.load.as_secs_f64() * 1000.0),
                human_size(cost.heap as u64),
            ),
            Some(Err(error)) => {
                // Only possible if a later isolate fails where the first one succeeded (it
                // loads the bytecode the first one wrote): a bug worth failing CI over.
                failed += 1;
                (format!("failed: {error}"), "unknown".to_owned())
            }
            None => ("unknown".to_owned(), "unknown".to_owned()),
        };
        println!(
            "{}{}\n  modules: {}\n  size:    {} ({} gzip)\n  load:    {load} into a new isolate \
             ({:.2} ms the first time)\n  memory:  {memory} of JavaScript heap per isolate between requests",
            report.name,
            if i == 0 { " (entry)" } else { "" },
            report.modules,
            human_size(report.source_bytes as u64),
            human_size(gzip_size(&spec.graph)),
            report.startup.as_secs_f64() * 1000.0,
        );
        for warning in &report.warnings {
            println!("  {warning}");
        }
        warning_count += report.warnings.len();
    }
    if failed > 0 {
        eprintln!("switchyard check: failed: {failed} worker(s) could not be loaded again");
        return ExitCode::FAILURE;
    }
    println!(
        "switchyard check: {} worker(s) OK, {warning_count} warning(s)",
        reports.len()
    );
    ExitCode::SUCCESS
}

/// Size of the worker's files, concatenated and gzipped: close to the gzip size of the bundle
/// wrangler would upload.
fn gzip_size(graph: &switchyard_runtime::modules::ModuleGraph) -> u64 {
    use std::io::Write;
    let mut files: Vec<_> = graph.files().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for file in files {
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(file.code.as_bytes());
    }
    encoder.finish().map_or(0, |out| out.len() as u64)
}

fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn dev(args: DevArgs) -> ExitCode {
    let (world, warnings) = match switchyard_config::load_world(&args.configs) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("switchyard: not starting: fix the config errors above");
            return ExitCode::FAILURE;
        }
    };
    for warning in &warnings {
        eprintln!("{warning}");
    }
    let request_timeout = match Duration::try_from_secs_f64(args.request_timeout) {
        Ok(timeout) if !timeout.is_zero() => timeout,
        _ => {
            eprintln!(
                "switchyard: --request-timeout {} is not a usable number of seconds: use a \
                 positive number such as 30 or 0.5",
                args.request_timeout
            );
            return ExitCode::FAILURE;
        }
    };
    let Some(header_timeout) = Duration::try_from_secs_f64(args.header_timeout)
        .ok()
        .filter(|t| !t.is_zero())
    else {
        eprintln!(
            "switchyard: --header-timeout {} is not a usable number of seconds: use a positive \
             number such as 30 or 0.5",
            args.header_timeout
        );
        return ExitCode::FAILURE;
    };
    let Some(body_timeout) = Duration::try_from_secs_f64(args.body_timeout)
        .ok()
        .filter(|t| !t.is_zero())
    else {
        eprintln!(
            "switchyard: --body-timeout {} is not a usable number of seconds: use a positive \
             number such as 60 or 0.5",
            args.body_timeout
        );
        return ExitCode::FAILURE;
    };
    // A bad SWITCHYARD_EXTRA_CA_CERTS would otherwise only show as failing HTTPS fetches.
    if let Err(error) = switchyard_runtime::tls_config() {
        eprintln!("switchyard: {error}");
        return ExitCode::FAILURE;
    }
    let options = RuntimeOptions {
        request_timeout,
        isolate_idle_timeout: args.isolate_idle_timeout.0,
        max_isolates: args.max_isolates.map(|n| n as usize),
        ..RuntimeOptions::default()
    };
    let (fleet, reports) = match Fleet::load(&world, options) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!(
                "switchyard: not starting: {} worker error(s) above",
                errors.len()
            );
            return ExitCode::FAILURE;
        }
    };

    for warning in reports.iter().flat_map(|r| &r.warnings) {
        eprintln!("{warning}");
    }

    let server_options = ServerOptions {
        ip: args.ip,
        port: args.port,
        threads: args
            .threads
            .map_or_else(|| ServerOptions::default().threads, usize::from),
        max_body_size: args.max_body_size,
        header_timeout,
        body_timeout,
        ..ServerOptions::default()
    };
    let threads = server_options.threads;
    let server = match Server::start(fleet, server_options) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("switchyard: {error}");
            return ExitCode::FAILURE;
        }
    };
    for (i, report) in reports.iter().enumerate() {
        println!(
            "  {}{}: {} module(s), {:.1} KiB, started in {:.2} ms",
            report.name,
            if i == 0 { " (entry)" } else { "" },
            report.modules,
            report.source_bytes as f64 / 1024.0,
            report.startup.as_secs_f64() * 1000.0,
        );
    }
    println!(
        "switchyard: ready on http://{} ({} worker(s), {threads} thread(s))",
        server.local_addr(),
        reports.len()
    );

    wait_for_signal();
    println!("switchyard: shutting down; waiting for in-flight requests");
    server.shutdown();
    server.wait();
    println!("switchyard: stopped");
    ExitCode::SUCCESS
}

/// Block until SIGINT or SIGTERM. A second signal exits at once.
fn wait_for_signal() {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("switchyard: cannot wait for signals: {error}");
            return;
        }
    };
    runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            eprintln!("switchyard: cannot install signal handlers");
            return;
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        // Leave the handlers installed: a second signal forces the exit.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                });
                eprintln!("switchyard: second signal; exiting now");
                std::process::exit(130);
            }
        });
    });
}

/// `100MB`, `512KiB`, `1048576`: decimal units (KB, MB, GB) and binary ones (KiB, MiB, GiB).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| {
        format!("\"{text}\" is not a size: use bytes or a number with a unit, like 100MB")
    })?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "m" | "mb" => 1000 * 1000,
        "g" | "gb" => 1000 * 1000 * 1000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit \"{other}\": use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("\"{text}\" is too large"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{parse_idle_timeout, parse_size};

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn idle_timeouts_are_positive_seconds_or_never() {
        assert_eq!(
            parse_idle_timeout("0.5").unwrap().0,
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_idle_timeout("Never").unwrap().0, None);
        for bad in ["0", "0.01", "-1", "soon", "inf"] {
            let error = parse_idle_timeout(bad).unwrap_err();
            assert!(error.contains(bad) && error.contains("never"), "{error}");
        }
    }
}
