//! The questions of [`ReadTxn`], in PostgreSQL's SQL.

use anyhow::Result;

use super::PgTxn;
use crate::domain::entities::{AllocationLine, Client, ClientChangeEntry, Correction, Invoice, LogEntry, Payment};
use crate::domain::{Currency, Date};
use crate::store::*;

impl ReadTxn for PgTxn<'_> {
    fn schema_version(&mut self) -> Result<i64> {
        todo!("schema_version")
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>> {
        todo!("setting")
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        todo!("settings")
    }

    fn is_empty(&mut self) -> Result<bool> {
        todo!("is_empty")
    }

    fn client_by_code(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        todo!("client_by_code")
    }

    fn client_by_id(&mut self, id: ClientId, limit_currency: Currency) -> Result<Option<Client>> {
        todo!("client_by_id")
    }

    fn clients(&mut self, limit_currency: Currency) -> Result<Vec<Client>> {
        todo!("clients")
    }

    fn client_refs(&mut self) -> Result<Vec<ClientRef>> {
        todo!("client_refs")
    }

    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>> {
        todo!("invoice_ref")
    }

    fn invoice_number(&mut self, id: InvoiceId) -> Result<String> {
        todo!("invoice_number")
    }

    fn invoice_number_taken(&mut self, number: &str) -> Result<bool> {
        todo!("invoice_number_taken")
    }

    fn invoice(&mut self, id: InvoiceId, as_of: Date) -> Result<Option<Invoice>> {
        todo!("invoice")
    }

    fn invoices(&mut self, filter: &InvoiceFilter, f: &mut dyn FnMut(Invoice) -> Result<()>) -> Result<()> {
        todo!("invoices")
    }

    fn invoice_allocations(&mut self, id: InvoiceId, as_of: Date) -> Result<Vec<AllocationLine>> {
        todo!("invoice_allocations")
    }

    fn payment(&mut self, id: PaymentId, as_of: Date) -> Result<Option<Payment>> {
        todo!("payment")
    }

    fn payments(&mut self, filter: &PaymentFilter, f: &mut dyn FnMut(Payment) -> Result<()>) -> Result<()> {
        todo!("payments")
    }

    fn payment_allocations(&mut self, id: PaymentId) -> Result<Vec<AllocationLine>> {
        todo!("payment_allocations")
    }

    fn unnamed_payments_from(&mut self, client: ClientId, currency: Currency, from: Date) -> Result<bool> {
        todo!("unnamed_payments_from")
    }

    fn payments_after(&mut self, client: ClientId, date: Date, except: PaymentId) -> Result<u64> {
        todo!("payments_after")
    }

    fn open_items( &mut self, as_of: Date, client: Option<ClientId>, with_numbers: bool, f: &mut dyn FnMut(OpenItem) -> Result<()>, ) -> Result<()> {
        todo!("open_items")
    }

    fn credit_items( &mut self, as_of: Date, client: Option<ClientId>, f: &mut dyn FnMut(CreditItem) -> Result<()>, ) -> Result<()> {
        todo!("credit_items")
    }

    fn closed_items( &mut self, after: Date, until: Date, f: &mut dyn FnMut(ClosedItem) -> Result<()>, ) -> Result<()> {
        todo!("closed_items")
    }

    fn issued_amounts( &mut self, after: Date, until: Date, f: &mut dyn FnMut(Currency, i64) -> Result<()>, ) -> Result<()> {
        todo!("issued_amounts")
    }

    fn payment_ref(&mut self, id: PaymentId) -> Result<Option<PaymentRef>> {
        todo!("payment_ref")
    }

    fn entered(&mut self, entry: EntryKind, id: i64) -> Result<Option<(String, String)>> {
        todo!("entered")
    }

    fn correction(&mut self, id: CorrectionId) -> Result<Option<Correction>> {
        todo!("correction")
    }

    fn notes_with_credit(&mut self, client: ClientId, as_of: Date) -> Result<Vec<Correction>> {
        todo!("notes_with_credit")
    }

    fn reversal_of(&mut self, payment: PaymentId) -> Result<Option<Correction>> {
        todo!("reversal_of")
    }

    fn corrections( &mut self, client: Option<ClientId>, f: &mut dyn FnMut(Correction) -> Result<()>, ) -> Result<()> {
        todo!("corrections")
    }

    fn client_changes(&mut self, f: &mut dyn FnMut(ClientChangeEntry) -> Result<()>) -> Result<()> {
        todo!("client_changes")
    }

    fn correction_allocations(&mut self, id: CorrectionId) -> Result<Vec<AllocationLine>> {
        todo!("correction_allocations")
    }

    fn log( &mut self, client: Option<ClientId>, since: Option<Date>, f: &mut dyn FnMut(LogEntry) -> Result<()>, ) -> Result<()> {
        todo!("log")
    }

    fn integrity_problems(&mut self) -> Result<Vec<String>> {
        todo!("integrity_problems")
    }

    fn each_client( &mut self, limit_currency: Currency, f: &mut dyn FnMut(Client) -> Result<()>, ) -> Result<()> {
        todo!("each_client")
    }

    fn each_invoice_and_payment( &mut self, invoice: &mut dyn FnMut(Invoice) -> Result<()>, payment: &mut dyn FnMut(Payment) -> Result<()>, ) -> Result<()> {
        todo!("each_invoice_and_payment")
    }

    fn replay_scope(&mut self, client: ClientId, from: Date) -> Result<ReplayScope> {
        self.scope(client, from)
    }

    fn derived_state(&mut self, client: ClientId) -> Result<StoredDerived> {
        self.stored_derived(client)
    }
}
