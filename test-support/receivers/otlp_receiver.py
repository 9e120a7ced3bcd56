"""A third-party OTLP metrics receiver for the export tests, over gRPC or HTTP/protobuf.

The OpenTelemetry project's Python protobuf bindings (`opentelemetry-proto`, PyPI) decode what
we export, served by `grpcio` (PyPI) or the standard library's HTTP server: none of it shares
code with the Rust exporter under test. Over HTTP it accepts no compression (as several
receivers do): a gzip body gets 415 and is not recorded.

Prints `{"listening": PORT}`, then one JSON line per export request (its metadata or headers,
and the request as `MessageToDict` gives it, with the .proto field names), or per refused HTTP
request (`{"refused": STATUS, "headers": ...}`). Exits when stdin
closes, or after `--timeout` seconds whatever happens, so that a test that dies leaves nothing
running.
"""

import argparse
import json
import os
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc

lock = threading.Lock()
# The running server: a gRPC server stops when nothing refers to it any more.
servers = []


def report(headers, request):
    line = json.dumps(
        {
            "headers": [[k.lower(), v] for k, v in headers],
            "request": MessageToDict(request, preserving_proto_field_name=True),
        }
    )
    with lock:
        print(line, flush=True)


class MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def Export(self, request, context):
        report(context.invocation_metadata(), request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


class HttpHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/metrics":
            return self.answer(404)
        if self.headers.get("Content-Encoding", "identity") != "identity":
            return self.answer(415)
        if self.headers.get("Content-Type") != "application/x-protobuf":
            return self.answer(415)
        request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)
        report(self.headers.items(), request)
        payload = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
        self.answer(200, payload)

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


def serve_grpc():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    servers.append(server)
    return port


def serve_http():
    server = ThreadingHTTPServer(("127.0.0.1", 0), HttpHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return server.server_address[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protocol", choices=["grpc", "http"], default="grpc")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    threading.Timer(args.timeout, lambda: os._exit(3)).start()

    port = serve_grpc() if args.protocol == "grpc" else serve_http()
    with lock:
        print(json.dumps({"listening": port}), flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
