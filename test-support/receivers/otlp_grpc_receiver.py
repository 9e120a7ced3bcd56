"""A third-party OTLP/gRPC metrics receiver for the export tests.

The OpenTelemetry project's Python protobuf bindings (`opentelemetry-proto`, PyPI) decode what
we export, served by `grpcio` (PyPI): neither shares code with the Rust exporter under test.
Prints `{"listening": PORT}`, then one JSON line per export request (its metadata and the
request as `MessageToDict` gives it, with the .proto field names). Exits when stdin closes, or
after `--timeout` seconds whatever happens, so that a test that dies leaves nothing running.
"""

import argparse
import json
import os
import sys
import threading
from concurrent import futures

import grpc
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc

lock = threading.Lock()


class MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def Export(self, request, context):
        line = json.dumps(
            {
                "headers": [[k, v] for k, v in context.invocation_metadata()],
                "request": MessageToDict(request, preserving_proto_field_name=True),
            }
        )
        with lock:
            print(line, flush=True)
        return metrics_service_pb2.ExportMetricsServiceResponse()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    threading.Timer(args.timeout, lambda: os._exit(3)).start()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with lock:
        print(json.dumps({"listening": port}), flush=True)
    sys.stdin.read()
    server.stop(0)
    os._exit(0)


if __name__ == "__main__":
    main()
