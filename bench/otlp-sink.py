#!/usr/bin/env python3
"""A do-nothing OTLP/HTTP receiver for benchmarks: answers every export with 200 and counts what arrived.

Usage: python3 bench/otlp-sink.py PORT   (prints the counts on SIGINT/SIGTERM, and to stderr every 10 s)
Counts spans, log records and metric data points (what Application Insights bills as items) by walking the protobuf
wire format of ExportTraceServiceRequest, ExportLogsServiceRequest and ExportMetricsServiceRequest.
"""
import signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {"requests": 0, "bytes": 0, "spans": 0, "logs": 0, "metric_exports": 0, "metric_points": 0}
lock = threading.Lock()

def fields(buf):
    """(field number, wire type, value) of one protobuf message; value is bytes for length-delimited fields."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield number, wire, value

def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]; i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7

def nested(buf, *path):
    """The messages at a path of field numbers (each level repeated)."""
    if not path:
        yield buf
        return
    for number, wire, value in fields(buf):
        if number == path[0] and wire == 2:
            yield from nested(value, *path[1:])

def metric_points(metric):
    # Metric: gauge 5, sum 7, histogram 9, exponential histogram 10, summary 11; each holds repeated data_points (1).
    return sum(1 for number, wire, value in fields(metric) if number in (5, 7, 9, 10, 11) and wire == 2
               for n, w, _ in fields(value) if n == 1 and w == 2)

class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            counts["requests"] += 1
            counts["bytes"] += len(body)
            if self.path.endswith("/v1/traces"):
                counts["spans"] += sum(1 for _ in nested(body, 1, 2, 2))
            elif self.path.endswith("/v1/logs"):
                counts["logs"] += sum(1 for _ in nested(body, 1, 2, 2))
            elif self.path.endswith("/v1/metrics"):
                counts["metric_exports"] += 1
                counts["metric_points"] += sum(metric_points(m) for m in nested(body, 1, 2, 2))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

def report(*_):
    with lock:
        print(" ".join("%s=%d" % kv for kv in counts.items()), flush=True)

def stop(*_):
    report()
    sys.exit(0)

signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
threading.Thread(target=lambda: [time.sleep(10) or print(dict(counts), file=sys.stderr, flush=True) for _ in iter(int, 1)], daemon=True).start()
server.serve_forever()
