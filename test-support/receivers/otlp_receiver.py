"""A third-party OTLP metrics receiver for the export tests, over gRPC or HTTP/protobuf.

The OpenTelemetry project's Python protobuf bindings (`opentelemetry-proto`, PyPI) decode what
we export, served by `grpcio` (PyPI) or the standard library's HTTP server: none of it shares
code with the Rust exporter under test. Over HTTP it accepts no compression (as several
receivers do): a gzip body gets 415 and is not recorded.

Prints `{"listening": PORT}`, then one JSON line per export request (its metadata or headers,
the request as `MessageToDict` gives it, with the .proto field names, and the HTTP status it
was answered with), and one per refused HTTP request (`{"refused": STATUS, "headers": ...}`).
Exits when stdin closes, or after `--timeout` seconds whatever happens, so that a test that dies
leaves nothing running.

`--port` listens on a given port (to restart a receiver where the exporter expects it);
`--answer N:STATUS` answers the Nth HTTP export request (from 1) with STATUS instead of 200.
A line `stop` on stdin stops it gracefully: no new connection is accepted, every request
already read is answered, then it prints `{"stopped": true}` and exits. A request is thus
either answered or never read, never read and left unanswered.
"""

import argparse
import json
import os
import sys
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc

lock = threading.Lock()
# The running server: a gRPC server stops when nothing refers to it any more.
servers = []


# Which request (from 1) gets which status, how many requests came, and how many are being
# answered.
answers = {}
received = [0]
inflight = [0]


def report(headers, request, status=200, seq=0):
    line = json.dumps(
        {
            "headers": [[k.lower(), v] for k, v in headers],
            "request": MessageToDict(request, preserving_proto_field_name=True),
            "status": status,
            "seq": seq,
        }
    )
    with lock:
        print(line, flush=True)


class MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def Export(self, request, context):
        # Printed after the answer, as over HTTP (see `handle_post`).
        with lock:
            received[0] += 1
            seq = received[0]
            inflight[0] += 1
        metadata = context.invocation_metadata()
        threading.Thread(target=report_later, args=(metadata, request, seq)).start()
        return metrics_service_pb2.ExportMetricsServiceResponse()


def report_later(metadata, request, seq):
    try:
        report(metadata, request, 200, seq)
    finally:
        with lock:
            inflight[0] -= 1


class HttpHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        with lock:
            inflight[0] += 1
        try:
            self.handle_post()
        finally:
            with lock:
                inflight[0] -= 1

    def handle_post(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/metrics":
            return self.answer(404)
        if self.headers.get("Content-Encoding", "identity") != "identity":
            return self.answer(415)
        if self.headers.get("Content-Type") != "application/x-protobuf":
            return self.answer(415)
        request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)
        with lock:
            received[0] += 1
            seq = received[0]
            status = answers.get(seq, 200)
        # Answered before it is printed (a large request takes seconds to print), as a
        # collector answers once it has the data: a slow print must not time the client out
        # into sending it again. `seq` gives the order in which requests came.
        if status != 200:
            self.answer(status)
        else:
            payload = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
            self.answer(200, payload)
        report(self.headers.items(), request, status, seq)

    def answer(self, status, payload=b""):
        if status != 200:
            # Refusals are reported too, so that a test tells a refusal from a dead receiver.
            line = json.dumps({"refused": status, "headers": [[k.lower(), v] for k, v in self.headers.items()]})
            with lock:
                print(line, flush=True)
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def serve_grpc(port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsService(), server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    servers.append(server)
    return port


def serve_http(port):
    server = ThreadingHTTPServer(("127.0.0.1", port), HttpHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return server.server_address[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protocol", choices=["grpc", "http"], default="grpc")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--answer", action="append", default=[])
    args = parser.parse_args()
    threading.Timer(args.timeout, lambda: os._exit(3)).start()
    for answer in args.answer:
        n, status = answer.split(":")
        answers[int(n)] = int(status)

    serve = serve_grpc if args.protocol == "grpc" else serve_http
    port = serve(args.port)
    with lock:
        print(json.dumps({"listening": port}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            stop()
    os._exit(0)


def stop():
    for server in servers:
        if isinstance(server, ThreadingHTTPServer):
            server.shutdown()
            server.server_close()
        else:
            server.stop(grace=10).wait()
    while True:
        with lock:
            if inflight[0] == 0:
                print(json.dumps({"stopped": True}), flush=True)
                os._exit(0)
        time.sleep(0.01)


if __name__ == "__main__":
    main()
