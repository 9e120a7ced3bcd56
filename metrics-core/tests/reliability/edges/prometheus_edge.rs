use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use agent_metrics_core::export::{Env, Telemetry};

use super::{record_one, reliability_support::rss_kib, serial};

fn endpoint(addr: &str) -> Telemetry {
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .prometheus(addr.parse().unwrap())
        .build()
        .unwrap();
    record_one(&telemetry);
    telemetry
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// The status line's code and the body of what `stream` answers.
fn answer(mut stream: TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

/// A scrape whose head is sent in two halves, `pause` apart.
fn scrape_with(addr: SocketAddr, pause: Duration) -> (u16, String, Duration) {
    let start = Instant::now();
    let mut stream = connect(addr);
    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\n");
    thread::sleep(pause);
    let _ = stream.write_all(b"Host: 127.0.0.1\r\n\r\n");
    let (status, body) = answer(stream);
    (status, body, start.elapsed())
}

fn scrape(addr: SocketAddr) -> (u16, String, Duration) {
    scrape_with(addr, Duration::ZERO)
}

/// Sends one byte a second, never finishing its head, for `for_how_long` or until the
/// server closes; returns the status it was answered (0: none).
fn trickle(addr: SocketAddr, for_how_long: Duration) -> thread::JoinHandle<(u16, Duration)> {
    thread::spawn(move || {
        let start = Instant::now();
        let mut stream = connect(addr);
        stream
            .set_read_timeout(Some(Duration::from_millis(1000)))
            .unwrap();
        while start.elapsed() < for_how_long {
            if stream.write_all(b"G").is_err() {
                break;
            }
            let mut buf = [0u8; 256];
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok());
                    return (status.unwrap_or(0), start.elapsed());
                }
                Err(_) => {} // a second without an answer: send the next byte
            }
        }
        (0, start.elapsed())
    })
}

#[test]
fn a_256_mib_request_line_is_cut_off_with_memory_bounded() {
    let _serial = serial();
    let telemetry = endpoint("127.0.0.1:0");
    let addr = telemetry.prometheus_addr().unwrap();
    let before = rss_kib();
    let mut stream = connect(addr);
    let chunk = vec![b'A'; 64 * 1024];
    let mut sent = 0usize;
    let start = Instant::now();
    while sent < 256 << 20 && start.elapsed() < Duration::from_secs(20) {
        match stream.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    let peak = rss_kib().max(before);
    let (status, _) = answer(stream);
    let grew = peak.saturating_sub(before);
    println!(
        "prometheus: a request line without newline was cut off after {:.1} MiB sent \
         (answer {status}); RSS grew by {grew} KiB",
        sent as f64 / (1 << 20) as f64
    );
    assert!(sent < 256 << 20, "the server read the whole 256 MiB");
    assert!(grew < 32 * 1024, "RSS grew by {grew} KiB");
    let (status, body, _) = scrape(addr);
    assert_eq!(status, 200);
    assert!(body.contains("tts_characters"), "{body}");
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn clients_trickling_a_byte_a_second_do_not_delay_a_scrape() {
    let _serial = serial();
    let telemetry = endpoint("127.0.0.1:0");
    let addr = telemetry.prometheus_addr().unwrap();
    let tricklers: Vec<_> = (0..4)
        .map(|_| trickle(addr, Duration::from_secs(6)))
        .collect();
    thread::sleep(Duration::from_millis(300));
    let (status, _, took) = scrape(addr);
    let cut: Vec<_> = tricklers.into_iter().map(|t| t.join().unwrap()).collect();
    println!(
        "prometheus: scrape beside 4 clients trickling 1 byte/s answered {status} in \
         {took:?}; the tricklers were answered {cut:?}"
    );
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Answered 408 (or reset, if a byte crossed the close) once their 2 s were up.
    for (status, after) in cut {
        assert!(status == 408 || status == 0, "{status}");
        assert!(after < Duration::from_secs(4), "{after:?}");
    }
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn fifty_concurrent_scrapes_are_served_together() {
    let _serial = serial();
    let telemetry = endpoint("127.0.0.1:0");
    let addr = telemetry.prometheus_addr().unwrap();
    // The first client takes 1.5 s to send its head; the 49 others, in flight meanwhile,
    // must not wait for it (one at a time, each would).
    let slow = thread::spawn(move || scrape_with(addr, Duration::from_millis(1500)));
    thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let scrapes: Vec<_> = (0..49)
        .map(|_| thread::spawn(move || scrape_with(addr, Duration::from_millis(100))))
        .collect();
    let mut results: Vec<_> = scrapes.into_iter().map(|s| s.join().unwrap()).collect();
    let fast = start.elapsed();
    let slowest = results.iter().map(|r| r.2).max().unwrap();
    results.push(slow.join().unwrap());
    let ok = results.iter().filter(|r| r.0 == 200).count();
    println!(
        "prometheus: 50 concurrent scrapes (one 1.5 s slow to send): {ok} answered 200; the \
         49 others in {fast:?}, slowest {slowest:?}"
    );
    assert_eq!(ok, 50);
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn the_port_is_free_when_stop_returns() {
    let _serial = serial();
    let mut addr = "127.0.0.1:0".to_owned();
    let mut stops = Vec::new();
    for _ in 0..3 {
        let telemetry = endpoint(&addr);
        let bound = telemetry.prometheus_addr().unwrap();
        addr = bound.to_string();
        let (status, _, _) = scrape(bound);
        assert_eq!(status, 200);
        // A client in the middle of its head while the endpoint stops.
        let trickler = trickle(bound, Duration::from_secs(3));
        thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        telemetry.shutdown(Duration::from_secs(5)).unwrap();
        stops.push(start.elapsed());
        let _ = trickler.join();
    }
    // And once more after the last stop: the port is still ours to take.
    let telemetry = endpoint(&addr);
    assert_eq!(scrape(telemetry.prometheus_addr().unwrap()).0, 200);
    println!("prometheus: rebuilt 3 times on {addr}; stop with a client mid-head took {stops:?}");
    for took in stops {
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}
