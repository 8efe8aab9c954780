//! A connection wrapper that answers an oversized request head itself.
//!
//! actix-http answers a head it cannot take (a URI over 64 KiB, a head over 128 KiB) with an
//! empty 400 or 431, which legacy clients cannot read. The guard follows the requests of a
//! connection (head, then `Content-Length` bytes of body), and when a head grows past its limit
//! it stops feeding the HTTP parser, writes the answer built by its `answer` function from the
//! head's first bytes, and closes the connection. A chunked body or an upgrade ends the guarding
//! of that connection: its length is not known without parsing it, and actix's own limits still
//! hold there.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Builds the whole HTTP answer (status line to body) from the first bytes of a head.
pub type Answer = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

pub struct HeadGuard<T> {
    io: T,
    heads: Heads,
    answer: Answer,
    refusal: Refusal,
}

enum Refusal {
    None,
    Writing { bytes: Vec<u8>, written: usize },
    Closing,
    Closed,
}

impl<T> HeadGuard<T> {
    /// `limit`: the largest head, in bytes, request line and terminating blank line included.
    pub fn new(io: T, limit: usize, answer: Answer) -> Self {
        HeadGuard {
            io,
            heads: Heads::new(limit),
            answer,
            refusal: Refusal::None,
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> HeadGuard<T> {
    /// Writes the refusal, then shuts the socket; ready when both are done.
    fn poll_refuse(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.refusal {
                Refusal::None | Refusal::Closed => return Poll::Ready(Ok(())),
                Refusal::Writing { bytes, written } => {
                    while *written < bytes.len() {
                        match ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*written..])) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => *written += n,
                        }
                    }
                    self.refusal = Refusal::Closing;
                }
                Refusal::Closing => {
                    // The peer may be gone already: the parser gets end of stream either way.
                    let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
                    self.refusal = Refusal::Closed;
                }
            }
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for HeadGuard<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !matches!(this.refusal, Refusal::None) {
            // End of stream for the parser once the refusal is out.
            return this.poll_refuse(cx);
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if this.heads.feed(&buf.filled()[before..]).is_err() {
            buf.set_filled(before);
            this.refusal = Refusal::Writing {
                bytes: (this.answer)(this.heads.current()),
                written: 0,
            };
            this.heads.stop();
            return this.poll_refuse(cx);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadGuard<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !matches!(this.refusal, Refusal::None) {
            // The parser's own error answer, if it writes one, is not sent after ours.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !matches!(this.refusal, Refusal::None) {
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if matches!(this.refusal, Refusal::Closed) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// Where a connection's byte stream is: in a head, in a body of known length, or unguarded.
#[derive(Debug)]
struct Heads {
    limit: usize,
    phase: Phase,
    /// The current head so far (at most `limit + 1` bytes are kept).
    head: Vec<u8>,
}

#[derive(Debug, PartialEq)]
enum Phase {
    Head,
    Body(u64),
    Unguarded,
}

#[derive(Debug, PartialEq)]
struct TooLarge;

impl Heads {
    fn new(limit: usize) -> Self {
        Heads {
            limit,
            phase: Phase::Head,
            head: Vec::new(),
        }
    }

    fn current(&self) -> &[u8] {
        &self.head
    }

    fn stop(&mut self) {
        self.phase = Phase::Unguarded;
    }

    /// Follows `bytes` as they arrive; `Err` when the current head is longer than the limit.
    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), TooLarge> {
        while !bytes.is_empty() {
            match self.phase {
                Phase::Unguarded => return Ok(()),
                Phase::Body(left) => {
                    let n = left.min(bytes.len() as u64);
                    bytes = &bytes[n as usize..];
                    self.phase = if n == left {
                        Phase::Head
                    } else {
                        Phase::Body(left - n)
                    };
                }
                Phase::Head => {
                    if self.head.is_empty() {
                        // Blank lines between requests are not part of a head.
                        let blank = bytes.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
                        bytes = &bytes[blank.count()..];
                        if bytes.is_empty() {
                            return Ok(());
                        }
                    }
                    let from = self.head.len().saturating_sub(3);
                    let take = bytes.len().min(self.limit + 1 - self.head.len());
                    self.head.extend_from_slice(&bytes[..take]);
                    match head_end(&self.head[from..]) {
                        Some(end) => {
                            let end = from + end;
                            // What came after the head is the body or the next request.
                            let rest = self.head.len() - end;
                            bytes = &bytes[take - rest..];
                            self.head.truncate(end);
                            self.phase = framing(&self.head);
                            self.head.clear();
                            if self.head.capacity() > 8192 {
                                self.head = Vec::new();
                            }
                        }
                        None if self.head.len() > self.limit => return Err(TooLarge),
                        None => bytes = &bytes[take..],
                    }
                }
            }
        }
        Ok(())
    }
}

/// The index just past a head's blank line (`\n\n` or `\n\r\n`, as the parser accepts both).
fn head_end(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find_map(|i| match &bytes[i..] {
        [b'\n', b'\n', ..] => Some(i + 2),
        [b'\n', b'\r', b'\n', ..] => Some(i + 3),
        _ => None,
    })
}

/// What follows a complete head: its body's length, or nothing the guard can follow.
fn framing(head: &[u8]) -> Phase {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(req.parse(head), Ok(httparse::Status::Complete(_))) {
        return Phase::Unguarded;
    }
    let mut length = 0;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding")
            || h.name.eq_ignore_ascii_case("upgrade")
        {
            return Phase::Unguarded;
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) => length = n,
                None => return Phase::Unguarded,
            }
        }
    }
    if length == 0 {
        Phase::Head
    } else {
        Phase::Body(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_heads_and_bodies_and_refuses_a_long_head() {
        let mut h = Heads::new(64);
        // A POST with a body that looks like a head, then a GET, byte by byte and in one go.
        let stream =
            b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /\r\nGET /b HTTP/1.1\r\n\r\n";
        for b in stream.iter() {
            h.feed(std::slice::from_ref(b)).unwrap();
        }
        assert_eq!(h.phase, Phase::Head);
        assert!(h.head.is_empty());
        h.feed(stream).unwrap();
        assert_eq!(h.phase, Phase::Head);
        // A head split across reads that goes past the limit.
        let long = format!("GET /{} HTTP/1.1\r\n", "x".repeat(60));
        assert_eq!(h.feed(&long.as_bytes()[..30]), Ok(()));
        assert_eq!(h.feed(&long.as_bytes()[30..]), Err(TooLarge));
        assert!(h.current().starts_with(b"GET /xxx"));
        assert!(h.current().len() <= 65);
    }

    #[test]
    fn a_head_of_exactly_the_limit_passes_and_chunked_bodies_end_the_guarding() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut h = Heads::new(head.len());
        h.feed(head).unwrap();
        assert_eq!(h.phase, Phase::Head);
        let mut h = Heads::new(64);
        h.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        assert_eq!(h.phase, Phase::Unguarded);
        h.feed(&[b'x'; 1000]).unwrap();
        // LF-only line endings end a head too.
        let mut h = Heads::new(64);
        h.feed(b"GET / HTTP/1.1\nContent-Length: 2\n\nab").unwrap();
        assert_eq!(h.phase, Phase::Head);
    }
}
