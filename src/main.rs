//! The thin binary: parse the command line, call the library, map the outcome to an exit code.

/// `print!` for data on stdout: a closed pipe (`arkiv verify DIR --format json | head -1`) ends
/// the process quietly with exit 0, as ripgrep does; any other write error is exit 2.
macro_rules! out {
    ($($arg:tt)*) => { $crate::emit(format_args!($($arg)*)) };
}

/// `println!` for data on stdout (see [`out!`]).
macro_rules! outln {
    () => { $crate::emit(format_args!("\n")) };
    ($($arg:tt)*) => {{ $crate::emit(format_args!($($arg)*)); $crate::emit(format_args!("\n")) }};
}

mod cli;
mod progress;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use arkiv::crawl::progress::{Progress, ProgressMode};
use arkiv::exit::Exit;
use cli::{Cli, ColorChoice, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = use_color(cli.global.color);
    init_logging(&cli.global, color);

    let outcome = match cli.command {
        Command::Crawl(args) => crawl(args, &cli.global),
        Command::Demo(args) => demo(args, &cli.global),
        Command::Mirror(args) => mirror(args),
        Command::Verify(args) => verify(args, &cli.global),
        Command::Diff(args) => diff(args, &cli.global),
        Command::ServeFixture(args) => serve_fixture(args),
        Command::Wacz(args) => wacz(args),
        Command::Serve(args) => serve(args, &cli.global),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {}", arkiv::exit::error_line(&err));
            Exit::CouldNotRun.into()
        }
    }
}

fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(Exit::Ok.code());
        }
        eprintln!("error: writing to stdout: {err}");
        std::process::exit(Exit::CouldNotRun.code());
    }
}

/// `--color always|never` wins; `auto` means colour only on a terminal and only without `NO_COLOR`.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

fn init_logging(global: &cli::GlobalArgs, color: bool) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARKIV_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("arkiv={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .init();
}

fn crawl(args: cli::CrawlArgs, global: &cli::GlobalArgs) -> anyhow::Result<Exit> {
    if let Some(dir) = &args.resume {
        let options = arkiv::run::ResumeOptions {
            not_a_trap: args.not_a_trap.clone(),
            password_env: args.password_env.clone(),
            proxy_password_env: args.proxy_password_env.clone(),
        };
        return resume(dir, options, global);
    }
    let config = match args.to_config() {
        Ok(config) => config,
        Err(usage) => {
            eprintln!("error: {}", usage.message);
            if let Some(hint) = usage.hint {
                eprintln!("hint: {hint}");
            }
            return Ok(Exit::CouldNotRun);
        }
    };
    let out = config.out.clone();
    let result = runtime()?.block_on(arkiv::run::crawl(config, progress(global), ctrl_c()));
    Ok(crawl_ended(result, &out))
}

/// What `crawl` and `crawl --resume` print when they end, and their exit code.
fn crawl_ended(result: anyhow::Result<arkiv::run::CrawlReport>, out: &std::path::Path) -> Exit {
    match result {
        Ok(outcome) => {
            out!("{}", outcome.render_summary());
            outcome.exit()
        }
        Err(err) => stopped(&err, out),
    }
}

/// Reports a crawl that could not go on; after an I/O error (a full disk above all) it says how
/// to continue: what is archived so far is whole, and `--resume` goes on from it.
fn stopped(err: &anyhow::Error, out: &std::path::Path) -> Exit {
    eprintln!("error: {}", arkiv::exit::error_line(err));
    if !out.join("arkiv.toml").is_file() || !arkiv::exit::is_io_failure(err) {
        return Exit::CouldNotRun;
    }
    let what = if arkiv::exit::is_disk_full(err) {
        "free space on the disk that holds it"
    } else {
        "fix the cause"
    };
    eprintln!(
        "hint: what {} holds so far is kept whole; {what}, then continue with `arkiv crawl --resume {}`",
        out.display(),
        out.display()
    );
    Exit::CouldNotRun
}

/// The async runtime of the commands that crawl (fetches run on all cores).
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Progress on stderr unless `--quiet`.
fn progress(global: &cli::GlobalArgs) -> Progress {
    Progress::new(if global.quiet {
        ProgressMode::Hidden
    } else {
        ProgressMode::Auto
    })
}

/// `arkiv crawl --resume DIR`: the same exit codes as a crawl.
fn resume(
    dir: &std::path::Path,
    options: arkiv::run::ResumeOptions,
    global: &cli::GlobalArgs,
) -> anyhow::Result<Exit> {
    let result = runtime()?.block_on(arkiv::run::resume(dir, options, progress(global), ctrl_c()));
    Ok(crawl_ended(result, dir))
}

fn demo(args: cli::DemoArgs, global: &cli::GlobalArgs) -> anyhow::Result<Exit> {
    let out = args.out.unwrap_or_else(arkiv::demo::default_out);
    let runtime = runtime()?;
    let outcome = runtime.block_on(arkiv::demo::run_demo(&out, progress(global)))?;
    outln!("archived the demo site (served at {})", outcome.site_url);
    out!("{}", outcome.crawl.render_summary());
    outln!();
    out!(
        "{}",
        arkiv::verify::render(&outcome.verify, arkiv::verify::Format::Human)
    );
    let index = outcome.crawl.out.join("mirror").join("index.html");
    outln!();
    outln!(
        "open the mirror: {}",
        std::path::absolute(&index).unwrap_or(index).display()
    );
    Ok(outcome.exit())
}

fn verify(args: cli::VerifyArgs, global: &cli::GlobalArgs) -> anyhow::Result<Exit> {
    use arkiv::verify::{Format, Mode, NoticeSpec, VerifyOptions};
    let mode = if args.mirror_only {
        Mode::MirrorOnly
    } else {
        Mode::Full
    };
    let mut options = VerifyOptions::new(&args.target, mode);
    options.strict = args.strict;
    if let (Some(text), Some(link)) = (args.notice_text, args.notice_link) {
        options.notice = Some(NoticeSpec { text, link });
    }
    for pattern in &args.notice_exempt {
        match regex::Regex::new(pattern) {
            Ok(re) => options.notice_exempt.push(re),
            Err(err) => {
                eprintln!("error: --notice-exempt {pattern:?}: {err}");
                return Ok(Exit::CouldNotRun);
            }
        }
    }
    let format = match args.format {
        cli::FormatArg::Human => Format::Human,
        cli::FormatArg::Json => Format::Json,
        cli::FormatArg::Junit => Format::Junit,
    };
    let bar = progress::VerifyBar::new(!global.quiet);
    let report = match arkiv::verify::verify_with_progress(&options, &|event| bar.event(event)) {
        Ok(report) => report,
        Err(err) => {
            bar.finish();
            eprintln!("error: {err}");
            return Ok(Exit::CouldNotRun);
        }
    };
    bar.finish();
    out!("{}", arkiv::verify::render(&report, format));
    Ok(report.exit())
}

fn diff(args: cli::DiffArgs, global: &cli::GlobalArgs) -> anyhow::Result<Exit> {
    let options = match args.to_options() {
        Ok(options) => options,
        Err(usage) => {
            eprintln!("error: {}", usage.message);
            if let Some(hint) = usage.hint {
                eprintln!("hint: {hint}");
            }
            return Ok(Exit::CouldNotRun);
        }
    };
    let report = match arkiv::diff::diff(&options) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(Exit::CouldNotRun);
        }
    };
    // How the comparison was made; the JSON report carries the notes too.
    if !global.quiet {
        for note in &report.notes {
            eprintln!("note: {note}");
        }
        if let Some(hint) = &report.hint {
            eprintln!("hint: {hint}");
        }
    }
    let format = match args.format {
        cli::DiffFormatArg::Text => arkiv::diff::Format::Text,
        cli::DiffFormatArg::Json => arkiv::diff::Format::Json,
        cli::DiffFormatArg::Junit => arkiv::diff::Format::Junit,
    };
    let render = arkiv::diff::RenderOptions {
        format,
        summary: args.summary,
    };
    out!("{}", arkiv::diff::render(&report, render));
    Ok(report.exit())
}

fn mirror(args: cli::MirrorArgs) -> anyhow::Result<Exit> {
    if !args.out.join("warc").is_dir() {
        eprintln!("error: {} holds no warc/ folder", args.out.display());
        eprintln!("hint: pass the --out folder of an `arkiv crawl`");
        return Ok(Exit::CouldNotRun);
    }
    let _lock = arkiv::lock::OutLock::acquire(&args.out, "mirror")?;
    let report = arkiv::mirror::build_mirror(&args.out)?;
    outln!(
        "mirror: {} ({} files: {} archived, {} rewritten, {} redirects, {} not archived)",
        args.out.join("mirror").join("index.html").display(),
        report.files,
        report.archived,
        report.rewritten,
        report.redirects.len(),
        report.not_archived.len()
    );
    for problem in &report.problems {
        eprintln!("warning: {problem}");
    }
    Ok(Exit::Ok)
}

/// Resolves on the first Ctrl-C; a second one ends the process at once (the WARC then holds at
/// most one cut-short record at its tail, which readers detect).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("aborted");
            std::process::exit(Exit::Interrupted.code());
        }
    });
}

fn serve_fixture(args: cli::ServeFixtureArgs) -> anyhow::Result<Exit> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(arkiv::fixture::TlsIdentity::from_files(cert, key)?),
        _ => None,
    };
    let options = arkiv::fixture::ServeOptions {
        port: args.port,
        tls,
        ..Default::default()
    };
    let server = arkiv::fixture::FixtureServer::start(&args.site, options)?;
    // Data on stdout: the URL, so that `arkiv serve-fixture | head -1` gives it to a script.
    outln!("{}", server.url());
    eprintln!("serving fixture site {:?}; press Ctrl-C to stop", args.site);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tokio::signal::ctrl_c())?;
    server.stop();
    Ok(Exit::Ok)
}

fn wacz(args: cli::WaczArgs) -> anyhow::Result<Exit> {
    let mut options = arkiv::wacz::WaczOptions::new(&args.dir);
    if let Some(output) = args.output {
        options.output = output;
    }
    options.zipnum_above = args.zipnum_above;
    options.zipnum_block = args.zipnum_block as usize;
    options.include_referred = args.include_referred;
    // A crawl still writing the folder would be packed half-way. A folder that cannot be locked
    // for another reason (read-only media) has no crawl running in it either.
    let _lock = match arkiv::lock::OutLock::acquire(&args.dir, "wacz") {
        Ok(lock) => Some(lock),
        Err(busy @ arkiv::lock::LockError::Busy { .. }) => return Err(busy.into()),
        Err(arkiv::lock::LockError::Io { .. }) => None,
    };
    let summary = match arkiv::wacz::pack_wacz(&options) {
        Ok(summary) => summary,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(Exit::CouldNotRun);
        }
    };
    let index = match summary.zipnum_blocks {
        Some(blocks) => format!(
            "{} index lines in {blocks} ZipNum blocks",
            summary.index_lines
        ),
        None => format!("{} index lines", summary.index_lines),
    };
    outln!(
        "wacz: {} ({} bytes: {} WARC files, {index}, {} pages)",
        summary.output.display(),
        summary.bytes,
        summary.warc_files,
        summary.pages
    );
    if let Some(main) = &summary.main_page {
        outln!("main page: {main}");
    }
    Ok(Exit::Ok)
}

fn serve(args: cli::ServeArgs, global: &cli::GlobalArgs) -> anyhow::Result<Exit> {
    let options = arkiv::serve::ServeOptions {
        dir: args.dir,
        port: args.port,
        replay: args.replay,
        replaywebpage: args.replaywebpage,
    };
    let runtime = runtime()?;
    runtime.block_on(async {
        let server = match arkiv::serve::Server::bind(&options).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("error: {}", arkiv::exit::error_line(&err));
                return Ok(Exit::CouldNotRun);
            }
        };
        let addr = server.local_addr()?;
        // Data on stdout: the URL, so that `arkiv serve DIR | head -1` gives it to a script.
        outln!("http://{addr}/");
        if !global.quiet {
            for (what, url) in server.routes() {
                eprintln!("{what}: {url}");
            }
        }
        if let Some((wacz, installed, looked)) = server.replaywebpage_state() {
            if !wacz {
                eprintln!(
                    "hint: `arkiv wacz {}` makes the package that ReplayWeb.page opens",
                    options.dir.display()
                );
            }
            if !installed {
                let looked =
                    looked.map_or_else(String::new, |f| format!(" (looked in {})", f.display()));
                eprintln!(
                    "hint: ReplayWeb.page is not installed{looked}; {}",
                    arkiv::serve::replaywebpage::INSTALL_HINT
                );
            }
        }
        if !global.quiet {
            eprintln!("serving {}; press Ctrl-C to stop", options.dir.display());
        }
        server.run(stop_signal()).await?;
        if !global.quiet {
            eprintln!("stopped");
        }
        Ok(Exit::Ok)
    })
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM: for `serve`, the normal way to end.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
