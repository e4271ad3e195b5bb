//! The thin binary: parse the command line, call the library, map the outcome to an exit code.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use arkiv::exit::Exit;
use cli::{Cli, ColorChoice, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = use_color(cli.global.color);
    init_logging(&cli.global, color);

    let outcome = match cli.command {
        Command::ServeFixture(args) => serve_fixture(args),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Exit::CouldNotRun.into()
        }
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

fn serve_fixture(args: cli::ServeFixtureArgs) -> anyhow::Result<Exit> {
    let options = arkiv::fixture::ServeOptions {
        port: args.port,
        ..Default::default()
    };
    let server = arkiv::fixture::FixtureServer::start(&args.site, options)?;
    // Data on stdout: the URL, so that `arkiv serve-fixture | head -1` gives it to a script.
    println!("{}", server.url());
    eprintln!("serving fixture site {:?}; press Ctrl-C to stop", args.site);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tokio::signal::ctrl_c())?;
    server.stop();
    Ok(Exit::Ok)
}
