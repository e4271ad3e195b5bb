//! The command line as the user types it (clap only: validated, no I/O). `main.rs` turns it into the
//! library's own settings; the library never sees a clap type.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Preserve websites that have stopped changing.
#[derive(Debug, Parser)]
#[command(name = "arkiv", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More output on stderr (-v: debug, -vv: trace) [default: info]
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less output on stderr: only warnings and errors [default: off]
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// When to use colour on stderr; `NO_COLOR` in the environment means never [default: auto]
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, hide_default_value = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a bundled fixture site on 127.0.0.1 until Ctrl-C (for trying arkiv by hand)
    ServeFixture(ServeFixtureArgs),
}

#[derive(Debug, Args)]
pub struct ServeFixtureArgs {
    /// The fixture site to serve: collective-impact or edge-cases [default: collective-impact]
    #[arg(default_value = "collective-impact", hide_default_value = true)]
    pub site: String,

    /// Port on 127.0.0.1 to listen on; 0 picks a free one [default: 0]
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub port: u16,
}
