//! The engine of [`Client`]: which queued command may go out, and what
//! each reply means for its command and for the session.

use super::{
    Capabilities, Client, CloseReason, Event, Failure, Handle, InFlight, Op, Queued, RemoteError,
    RemoteErrorKind, Reply, Sasl, Tls, Warning,
};
use crate::body::ZeroCopyBuf;
use crate::codec::{ResponseErrorKind, ResponseEvent};
use crate::sasl::{ClientReply, SaslError};
use crate::state::SessionState;
use crate::time::Instant;
use crate::types::{CommandKind, Entry, Expect, Response, SaslResponse, Status, Timestamp};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::Bytes;

impl InFlight {
    fn new(queued: Queued) -> Self {
        Self {
            handle: queued.handle,
            op: queued.op,
            expect: queued.expect,
            status: None,
            entries: Vec::new(),
            capabilities: Capabilities::new(),
            listed: (0, Some(0)),
            error: None,
            result: None,
        }
    }

    /// Keeps the first problem of the reply.
    fn fail(&mut self, kind: RemoteErrorKind) {
        if self.error.is_none() {
            self.error = Some(RemoteError::new(Some(self.op.kind()), kind));
        }
    }
}

impl Client {
    fn pipelining(&self) -> bool {
        self.options.pipeline_depth > 1 && self.pipelining
    }

    /// Replaces what the client knows of the server's capabilities.
    pub(super) fn set_capabilities(&mut self, capabilities: Option<Capabilities>) {
        // Asked on every send: looked up once here, not per command.
        self.pipelining = capabilities.as_ref().is_some_and(Capabilities::pipelining);
        self.capabilities = capabilities;
    }

    /// Sends every queued command that may go now.
    pub(super) fn flush(&mut self, now: Instant) {
        if self.state == SessionState::Closed || matches!(self.tls, Tls::Handshake(_)) {
            return;
        }
        while let Some(next) = self.queue.front() {
            // A command for the state a login will reach waits for it.
            if !self.state.allows(next.op.kind()) {
                break;
            }
            if let Some(last) = self.in_flight.back() {
                if next.op.alone()
                    || last.op.alone()
                    || matches!(last.op, Op::Quit)
                    || !self.pipelining()
                    || self.in_flight.len() >= self.options.pipeline_depth
                {
                    break;
                }
            }
            let Some(queued) = self.queue.pop_front() else {
                break;
            };
            self.output.extend_from_slice(&queued.line);
            if self.in_flight.is_empty() {
                // The decoder is idle whenever nothing is in flight.
                let _ = self.decoder.expect(queued.expect);
                self.reply_timer.start(now, self.options.reply_timeout);
                self.idle_timer.stop();
            }
            if matches!(queued.op, Op::Quit) && self.state == SessionState::Transaction {
                self.state = SessionState::Update;
            }
            self.in_flight.push_back(InFlight::new(queued));
        }
    }

    /// Reads what the input holds.
    pub(super) fn process(&mut self, now: Instant) {
        let mut input = core::mem::take(&mut self.input);
        self.process_from(now, &mut input);
        if self.state != SessionState::Closed {
            self.input = input;
        }
    }

    /// Reads what `input` holds (the client's own buffer, or a caller's
    /// `Bytes` read straight, without copying); leaves in it what is not
    /// yet a whole line.
    pub(super) fn process_from<B: ZeroCopyBuf>(&mut self, now: Instant, input: &mut B) {
        self.last_now = now;
        if matches!(self.tls, Tls::Handshake(_)) {
            // Plaintext after the STLS +OK, before TLS is up (SPEC S2).
            return self.injection();
        }
        if !self.in_flight.is_empty() {
            // Inactivity: any byte restarts the reply deadline.
            self.reply_timer.start(now, self.options.reply_timeout);
        }
        while self.state != SessionState::Closed {
            match self.decoder.decode_bytes(input) {
                Ok(None) => break,
                Ok(Some(event)) => self.on_event(now, event),
                Err(e) => self.on_error(e),
            }
            if let Tls::Handshake(handle) = self.tls {
                if input.as_slice().is_empty() {
                    self.events.push_back(Event::StartTls { handle });
                } else {
                    // Told before any handshake could start (SPEC S2).
                    self.injection();
                }
                return;
            }
        }
        self.flush(now);
    }

    fn injection(&mut self) {
        self.end(CloseReason::Protocol(RemoteError::new(
            Some(CommandKind::Stls),
            RemoteErrorKind::DataAfterStls,
        )));
    }

    fn on_event(&mut self, now: Instant, event: ResponseEvent<'static, Bytes>) {
        match event {
            ResponseEvent::Line(line) => self.on_line(line),
            ResponseEvent::Data(data) => {
                if let Some(f) = self.in_flight.front() {
                    self.events.push_back(Event::Data {
                        handle: f.handle,
                        data,
                    });
                }
            }
            ResponseEvent::End => self.on_end(now),
        }
    }

    fn on_line(&mut self, line: Response<'static>) {
        if self.state == SessionState::Greeting {
            if let Response::Greeting(greeting) = line {
                self.greeting_timer.stop();
                if greeting.is_ok() {
                    self.state = SessionState::Authorization;
                    self.timestamp = greeting.timestamp().map(Timestamp::into_owned);
                    self.idle_timer
                        .start(self.last_now, self.options.idle_timeout);
                    self.events.push_back(Event::Greeting(greeting));
                } else {
                    self.end(CloseReason::Refused(greeting.status().clone()));
                }
            }
            return;
        }
        let collect = self.options.collect_listings;
        let max_capabilities = self.options.max_capabilities;
        let Some(f) = self.in_flight.front_mut() else {
            return;
        };
        match line {
            Response::Status(status) if f.status.is_none() => f.status = Some(status),
            Response::Stat(drop) => {
                self.last_stat = Some(drop);
                f.result = Some(Ok(Reply::Stat(drop)));
            }
            Response::Scan(scan) => f.result = Some(Ok(Reply::Scan(scan))),
            Response::Uid(uid) => f.result = Some(Ok(Reply::Uid(uid))),
            Response::Lang(lang) => f.result = Some(Ok(Reply::Lang(lang))),
            Response::Entry(Entry::Capability(capability)) => {
                if f.capabilities.len() >= max_capabilities {
                    f.fail(RemoteErrorKind::TooManyLines);
                } else {
                    f.capabilities.push(capability);
                }
            }
            Response::Entry(entry) => {
                if let Entry::Scan(scan) = &entry {
                    f.listed.0 += 1;
                    f.listed.1 = f.listed.1.and_then(|sum| sum.checked_add(scan.size));
                }
                match collect {
                    Some(max) if f.entries.len() >= max => f.fail(RemoteErrorKind::TooManyLines),
                    Some(_) => f.entries.push(entry),
                    None => self.events.push_back(Event::Entry {
                        handle: f.handle,
                        entry,
                    }),
                }
            }
            Response::Challenge(data) => {
                let Op::Auth(sasl) = &mut f.op else {
                    return;
                };
                let reply = if sasl.cancelled {
                    // The server goes on after `*`: it gets `*` again,
                    // never more of the credentials.
                    SaslResponse::Cancel
                } else {
                    match sasl.withheld.take() {
                        Some(initial) => SaslResponse::Data(initial),
                        None => match sasl.mechanism.respond(data.as_bytes()) {
                            Ok(ClientReply::Data(data)) => SaslResponse::Data(data),
                            Ok(_) => SaslResponse::Cancel,
                            Err(e) => {
                                sasl.error = Some(e);
                                SaslResponse::Cancel
                            }
                        },
                    }
                };
                sasl.cancelled |= matches!(reply, SaslResponse::Cancel);
                reply.encode(&mut self.output);
            }
            _ => {}
        }
    }

    fn on_error(&mut self, e: crate::codec::ResponseError) {
        let kind = e.kind();
        if kind == ResponseErrorKind::Unsolicited || self.state == SessionState::Greeting {
            // Bytes nothing asked for (SPEC S5), or a broken greeting.
            return self.end(CloseReason::Protocol(RemoteError::new(
                None,
                RemoteErrorKind::Response(kind),
            )));
        }
        let Some(f) = self.in_flight.front_mut() else {
            return;
        };
        if let (Op::Auth(sasl), ResponseErrorKind::InvalidBase64(_)) = (&mut f.op, kind) {
            // An undecodable challenge is answered with `*` (SPEC R55);
            // the server's -ERR ends the exchange.
            if !sasl.cancelled {
                sasl.error = Some(SaslError::ServerError("undecodable challenge".into()));
            }
            sasl.cancelled = true;
            SaslResponse::Cancel.encode(&mut self.output);
            return;
        }
        let decides_state = f.op.is_login() || matches!(f.op, Op::Stls | Op::Quit);
        if decides_state && f.status.is_none() && e.status() != Some(crate::types::StatusKind::Err)
        {
            // Whether the login (or STLS) took effect is unknown: the
            // session cannot go on safely.
            let command = Some(f.op.kind());
            return self.end(CloseReason::Protocol(RemoteError::new(
                command,
                RemoteErrorKind::Response(kind),
            )));
        }
        f.fail(RemoteErrorKind::Response(kind));
    }

    /// A reply is complete: finish its command.
    fn on_end(&mut self, now: Instant) {
        if self.state == SessionState::Greeting {
            return;
        }
        let Some(f) = self.in_flight.pop_front() else {
            return;
        };
        match self.in_flight.front() {
            Some(next) => {
                let _ = self.decoder.expect(next.expect);
            }
            None => {
                self.reply_timer.stop();
                self.idle_timer.start(now, self.options.idle_timeout);
            }
        }
        self.finish(f);
    }

    fn done(&mut self, handle: Handle, result: Result<Reply, Failure>) {
        self.events.push_back(Event::Done { handle, result });
    }

    /// Decides a finished command's outcome and its effects on the session.
    fn finish(&mut self, f: InFlight) {
        let handle = f.handle;
        let refused = |status: &Option<Status<'static>>| {
            status
                .as_ref()
                .filter(|s| !s.is_ok())
                .cloned()
                .map(Failure::Refused)
        };
        let ok = f.status.as_ref().is_some_and(Status::is_ok);
        match f.op {
            Op::User(pass) if ok && f.error.is_none() => {
                // PASS goes next, alone, under the same handle.
                self.queue.push_front(Queued {
                    handle,
                    op: Op::Pass,
                    line: pass,
                    expect: Expect::Status,
                });
            }
            Op::User(_) | Op::Pass | Op::Apop => {
                let status = f.status.clone();
                match status {
                    Some(status) if ok && f.error.is_none() => self.logged_in(handle, status),
                    _ => {
                        let failure = f
                            .error
                            .map(Failure::Protocol)
                            .or_else(|| refused(&f.status))
                            .unwrap_or(Failure::Closed);
                        self.login_failed(handle, failure);
                    }
                }
            }
            Op::Auth(mut sasl) => match f.status {
                Some(status) if status.is_ok() => match verdict(&mut sasl) {
                    Ok(()) => self.logged_in(handle, status),
                    Err(e) => {
                        self.login = None;
                        self.done(handle, Err(Failure::Sasl(e)));
                        self.end(CloseReason::ServerNotVerified);
                    }
                },
                status => {
                    let failure = match (sasl.error.take(), f.error, status) {
                        (Some(e), _, _) => Failure::Sasl(e),
                        (None, Some(e), _) => Failure::Protocol(e),
                        (None, None, Some(status)) => Failure::Refused(status),
                        (None, None, None) => Failure::Closed,
                    };
                    self.login_failed(handle, failure);
                }
            },
            Op::Stls => match f.status {
                Some(status) if status.is_ok() => {
                    self.tls = Tls::Handshake(handle);
                    self.tls_timer
                        .start(self.last_now, self.options.tls_timeout);
                    self.idle_timer.stop();
                    // Event::StartTls comes once the read is known to
                    // hold nothing after the +OK (`process`).
                }
                status => {
                    let failure = match (f.error, status) {
                        (Some(e), _) => Failure::Protocol(e),
                        (None, status) => status.map_or(Failure::Closed, Failure::Refused),
                    };
                    self.done(handle, Err(failure));
                    if self.options.require_tls {
                        self.end(CloseReason::TlsUnavailable);
                    }
                }
            },
            Op::Capa => {
                let result = match (f.error, ok) {
                    (Some(e), _) => Err(Failure::Protocol(e)),
                    (None, true) => Ok(Reply::Capabilities(f.capabilities.clone())),
                    (None, false) => Err(refused(&f.status).unwrap_or(Failure::Closed)),
                };
                let offers_tls = result.is_ok() && f.capabilities.stls();
                self.set_capabilities(Some(if result.is_ok() {
                    f.capabilities
                } else {
                    Capabilities::new()
                }));
                self.done(handle, result);
                if self.options.require_tls && self.tls == Tls::Plain && !offers_tls {
                    // SPEC S3: no STLS on offer, or no CAPA at all.
                    self.end(CloseReason::TlsUnavailable);
                }
            }
            Op::Quit => {
                let status = f.status.clone();
                let result = match (f.error, status) {
                    (Some(e), _) => Err(Failure::Protocol(e)),
                    (None, Some(s)) if s.is_ok() => Ok(Reply::Ok(s)),
                    (None, Some(s)) => Err(Failure::Refused(s)),
                    (None, None) => Err(Failure::Closed),
                };
                self.done(handle, result);
                self.end(match f.error {
                    // The reply could not be read: whether UPDATE
                    // happened is unknown.
                    Some(e) => CloseReason::Protocol(e),
                    None => CloseReason::Quit(f.status.unwrap_or_else(empty_ok)),
                });
            }
            Op::Listing(kind) => {
                let result = match (f.error, ok) {
                    (Some(e), _) => Err(Failure::Protocol(e)),
                    (None, true) if self.options.collect_listings.is_some() => {
                        Ok(Reply::Listing(f.entries))
                    }
                    (None, true) => Ok(Reply::Ok(f.status.unwrap_or_else(empty_ok))),
                    (None, false) => Err(refused(&f.status).unwrap_or(Failure::Closed)),
                };
                if kind == CommandKind::List && result.is_ok() {
                    self.check_listing(f.listed);
                }
                self.done(handle, result);
            }
            Op::Simple(_) | Op::Message(_) | Op::Stat | Op::ScanOne | Op::UidOne | Op::LangOne => {
                let result = match (f.error, f.result, f.status) {
                    (Some(e), _, _) => Err(Failure::Protocol(e)),
                    (None, Some(result), _) => result,
                    (None, None, Some(status)) if status.is_ok() => Ok(Reply::Ok(status)),
                    (None, None, Some(status)) => Err(Failure::Refused(status)),
                    (None, None, None) => Err(Failure::Closed),
                };
                if matches!(f.op, Op::Simple(CommandKind::Dele | CommandKind::Rset))
                    && result.is_ok()
                {
                    // STAT and LIST leave out the messages marked as
                    // deleted: the last STAT no longer says what a LIST
                    // will (RFC 1939 §5).
                    self.last_stat = None;
                }
                self.done(handle, result);
            }
        }
    }

    fn logged_in(&mut self, handle: Handle, status: Status<'static>) {
        self.login = None;
        self.state = SessionState::Transaction;
        // RFC 2449 §5: capabilities may change after login (Gmail adds
        // PIPELINING); the APOP timestamp is spent.
        self.set_capabilities(None);
        self.timestamp = None;
        self.done(handle, Ok(Reply::LoggedIn(status)));
    }

    fn login_failed(&mut self, handle: Handle, failure: Failure) {
        self.login = None;
        self.done(handle, Err(failure));
        // Commands queued for TRANSACTION will never be valid.
        let state = self.state;
        let (keep, drop): (VecDeque<Queued>, VecDeque<Queued>) = core::mem::take(&mut self.queue)
            .into_iter()
            .partition(|q| state.allows(q.op.kind()));
        self.queue = keep;
        for q in drop {
            self.done(q.handle, Err(Failure::LoginFailed));
        }
    }

    /// SPEC S8: a whole LIST against the STAT before it.
    fn check_listing(&mut self, (listed, size): (u64, Option<u64>)) {
        let Some(size) = size else {
            self.events.push_back(Event::Warning(Warning::SizeOverflow));
            return;
        };
        if let Some(stat) = self.last_stat {
            if u64::from(stat.count) != listed || stat.size != size {
                self.events
                    .push_back(Event::Warning(Warning::StatListMismatch {
                        stat,
                        listed,
                        size,
                    }));
            }
        }
    }
}

/// What a `+OK` to an AUTH exchange means: the mechanism's verdict, or a
/// failure if the client had cancelled with `*` (RFC 5034 §4: the server
/// must refuse then).
fn verdict(sasl: &mut Sasl) -> Result<(), SaslError> {
    if sasl.cancelled {
        Err(sasl.error.take().unwrap_or(SaslError::Incomplete))
    } else {
        sasl.mechanism.success()
    }
}

/// A `+OK` with no text, for a reply whose line was lost.
fn empty_ok() -> Status<'static> {
    Status::from_parts(
        crate::types::StatusKind::Ok,
        None,
        crate::types::Text::default(),
    )
}
