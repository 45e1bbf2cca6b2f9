//! The command line: clap arguments, resolved into one ledger operation or report and
//! a render. Holds no SQL and no money arithmetic.

mod client;
mod context;
mod demo;
mod export;
mod import;
mod init;
mod invoice;
mod payment;
mod report;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use context::{Context, default_db_path};

/// A command-line accounts-receivable tracker: clients, invoices, payments and who owes
/// what, how late.
#[derive(Debug, Parser)]
#[command(name = "ar", version, about, long_about = None, after_help = "\
Examples:
  ar demo                                           build a sample ledger and show its aging
  ar client add ACME --name \"Acme Ltd\" --terms 30
  ar add-invoice --client ACME --amount 1,250.00 --date 2026-11-01
  ar pay --client ACME --amount 1000 --date 2026-11-20
  ar aging --as-of 2026-11-30

The ledger is --db PATH, else $AR_DB, else ~/.local/share/ar/ledger.db.
Exit codes: 0 done; 1 refused (nothing written); 2 usage; 3 --fail-if-over tripped.")]
pub struct Cli {
    /// Ledger file (created on first use)
    #[arg(long, global = true, env = "AR_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    /// Add, edit, list and show clients
    #[command(subcommand)]
    Client(client::ClientCommand),
    AddInvoice(invoice::InvoiceAddArgs),
    Pay(payment::PayArgs),
    /// List, show and void invoices
    #[command(subcommand)]
    Invoice(invoice::InvoiceCommand),
    /// List payments
    #[command(subcommand)]
    Payment(payment::PaymentCommand),
    Aging(report::AgingArgs),
    DaysToPay(report::DaysToPayArgs),
    Demo(demo::DemoArgs),
    Import(import::ImportArgs),
    Export(export::ExportArgs),
}

/// Why a run ended without error but must not exit 0.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ThresholdExceeded(pub String);

pub fn run(cli: Cli) -> Result<()> {
    let mut ctx = Context::from_env(cli.db)?;
    let ledger = ctx.db_path.clone();
    let existed = ledger.exists();
    let result = match cli.command {
        Command::Init(args) => init::run_init(&mut ctx, args),
        Command::Client(cmd) => client::run(&mut ctx, cmd),
        Command::AddInvoice(args) => invoice::run_invoice_add(&mut ctx, args),
        Command::Pay(args) => payment::run_pay(&mut ctx, args),
        Command::Invoice(cmd) => invoice::run(&mut ctx, cmd),
        Command::Payment(cmd) => payment::run(&mut ctx, cmd),
        Command::Aging(args) => report::run_aging(&mut ctx, args),
        Command::DaysToPay(args) => report::run_days_to_pay(&mut ctx, args),
        Command::Demo(args) => demo::run_demo(&mut ctx, args),
        Command::Import(args) => import::run_import(&mut ctx, args),
        Command::Export(args) => export::run_export(&mut ctx, args),
    };
    ctx.out.flush()?;
    if result.is_err() && !existed {
        // A refused command leaves no trace, not even the empty ledger it opened.
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = ledger.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
    result
}
