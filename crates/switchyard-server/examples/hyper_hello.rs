//! The bench's ceiling for a hello worker: bare hyper with Switchyard's threading (one
//! `current_thread` runtime and SO_REUSEPORT listener per thread), answering "hello" with no
//! JavaScript at all. `cargo run --release -p switchyard-server --example hyper_hello -- PORT THREADS`

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

fn listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8788);
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(2);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let std_listener = listener(addr)?;
            Ok(std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(std_listener).expect("listener");
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(async move {
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service_fn(hello))
                                .await;
                        });
                    }
                });
            }))
        })
        .collect::<std::io::Result<_>>()?;
    println!("ready on http://{addr}");
    for handle in handles {
        let _ = handle.join();
    }
    Ok(())
}
