//! The retrieve of `examples/fetch.rs` on tokio and tokio-rustls: the
//! same sans-IO client, another runtime. Every message goes into
//! `DIR/new/` as it came off the wire after unstuffing.
//!
//! ```sh
//! cargo run --example fetch_async -- HOST PORT USER PASS DIR [--tls] [--ca FILE]
//! ```
//!
//! Without `--tls` it logs in with SCRAM-SHA-256 if offered, else USER/PASS
//! (the plaintext fallback is for test servers on loopback).

use pop3_proto::client::{Client, Event, Options, Reply};
use pop3_proto::sasl::scram::{ChannelBinding, ScramClient, ScramHash};
use pop3_proto::time::Instant;
use pop3_proto::types::{Entry, Mechanism};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

trait Stream: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Stream for T {}

fn now(origin: std::time::Instant) -> Instant {
    Instant::from_duration(origin.elapsed())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, user, pass, dir, flags @ ..] = &args[..] else {
        return Err("usage: fetch_async HOST PORT USER PASS DIR [--tls] [--ca FILE]".into());
    };
    let tls = flags.iter().any(|f| f == "--tls");
    let origin = std::time::Instant::now();
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port.parse::<u16>()?)).await?;
    let mut conn: Box<dyn Stream> = if tls {
        let mut roots = rustls::RootCertStore::empty();
        match flags.iter().position(|f| f == "--ca") {
            Some(i) => {
                use rustls::pki_types::pem::PemObject;
                let path = flags.get(i + 1).ok_or("--ca needs a file")?;
                for cert in rustls::pki_types::CertificateDer::pem_file_iter(path)? {
                    roots.add(cert?)?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.clone())?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        Box::new(connector.connect(name, tcp).await?)
    } else {
        Box::new(tcp)
    };
    let options = Options::default().with_allow_plaintext_login(true);
    let mut client = if tls {
        Client::new_tls(options, now(origin))
    } else {
        Client::new(options, now(origin))
    };
    for sub in ["tmp", "new", "cur"] {
        tokio::fs::create_dir_all(format!("{dir}/{sub}")).await?;
    }
    let (mut files, mut capa, mut list) = (HashMap::new(), None, None);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = client.poll_event() {
            match event {
                Event::Greeting(_) => capa = Some(client.capa()?),
                Event::Done { handle, result } if Some(handle) == capa => {
                    capa = None;
                    let scram = matches!(result, Ok(Reply::Capabilities(ref c))
                        if c.sasl().is_some_and(|m| m.contains(&Mechanism::ScramSha256)));
                    if scram {
                        let nonce = format!("{:x}", origin.elapsed().as_nanos() ^ 0x5eed);
                        let mech = ScramClient::new(
                            ScramHash::Sha256,
                            user,
                            pass,
                            nonce,
                            ChannelBinding::None,
                        )?;
                        client.authenticate(Box::new(mech))?;
                    } else {
                        client.login(user, pass)?;
                    }
                    list = Some(client.list(None)?);
                }
                Event::Entry {
                    entry: Entry::Scan(s),
                    ..
                } => {
                    let handle = client.retr(s.msg)?;
                    let name = format!("{}.{}", origin.elapsed().as_nanos(), s.msg);
                    let file = tokio::fs::File::create(format!("{dir}/tmp/{name}")).await?;
                    files.insert(handle, (name, file));
                }
                Event::Data { handle, data } => {
                    if let Some((_, file)) = files.get_mut(&handle) {
                        file.write_all(&data).await?;
                    }
                }
                Event::Done { handle, result } => {
                    if let Err(failure) = result {
                        return Err(format!("{failure:?}").into());
                    }
                    if let Some((name, mut file)) = files.remove(&handle) {
                        file.flush().await?;
                        file.sync_all().await?;
                        tokio::fs::rename(format!("{dir}/tmp/{name}"), format!("{dir}/new/{name}"))
                            .await?;
                        println!("{dir}/new/{name}");
                    }
                    if Some(handle) == list {
                        list = None;
                    }
                    if list.is_none() && files.is_empty() && capa.is_none() {
                        let _ = client.quit();
                    }
                }
                Event::Closed(reason) if reason.is_clean() => return Ok(()),
                Event::Closed(reason) => return Err(format!("session ended: {reason:?}").into()),
                _ => {}
            }
        }
        if let Some(out) = client.poll_transmit() {
            conn.write_all(&out).await?;
        }
        let wait = client
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now(origin)));
        let read = async { conn.read(&mut buf).await };
        match wait {
            Some(wait) => match tokio::time::timeout(wait, read).await {
                Ok(n) => receive(&mut client, &buf, n?, origin)?,
                Err(_) => client.handle_timeout(now(origin)),
            },
            None => {
                let n = read.await?;
                receive(&mut client, &buf, n, origin)?;
            }
        }
    }
}

fn receive(
    client: &mut Client,
    buf: &[u8],
    n: usize,
    origin: std::time::Instant,
) -> Result<(), pop3_proto::client::LocalError> {
    if n == 0 {
        client.receive_eof(now(origin));
        Ok(())
    } else {
        client.receive(now(origin), &buf[..n])
    }
}
