#!/usr/bin/env bash
# The cost of telemetry (docs/BENCHMARKS.md, "Telemetry"): a 100,000-mine national csv ingested on the local stack
# (./run.sh's host and disk-backed Azurite) without and with an OTLP endpoint (bench/otlp-sink.py, which answers every
# export and counts what arrived), and the telemetry items one such survey sends with the host logging at Information
# as the Functions app does in Azure. Usage: bench/telemetry.sh [RUNS=3]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dotnet build MineIngest.sln -c Release --nologo -v quiet >/dev/null
e2e=bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll
port=4318
sink() { python3 bench/otlp-sink.py "$port" > "$1" 2>/dev/null & echo $!; }

echo "== without an OTLP endpoint"
dotnet "$e2e" "${1:-3}" 100000 --csv --no-wrk --no-memory 2>&1 | grep -E "rows, run"

echo "== with OTEL_EXPORTER_OTLP_ENDPOINT (http/protobuf, metrics every 60 s)"
counts=$(mktemp); pid=$(sink "$counts")
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
  dotnet "$e2e" "${1:-3}" 100000 --csv --no-wrk --no-memory 2>&1 | grep -E "rows, run"
kill "$pid"; wait "$pid" 2>/dev/null || true; echo "received: $(cat "$counts")"

# The benchmark stops the host by killing it: short export delays, so that what a survey sends has left by then
# (metrics every second: each export holds one point per series, what Azure receives once a minute).
echo "== items of one 100,000-row survey, host logging at Information (as host.json in Azure)"
pid=$(sink "$counts")
BENCH_HOST_LOG_LEVEL=Information OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
  OTEL_BSP_SCHEDULE_DELAY=200 OTEL_BLRP_SCHEDULE_DELAY=200 OTEL_METRIC_EXPORT_INTERVAL=1000 \
  dotnet "$e2e" 1 100000 --csv --no-wrk --no-memory 2>&1 | grep -E "rows, run"
kill "$pid"; wait "$pid" 2>/dev/null || true; echo "received: $(cat "$counts")"
rm -f "$counts"
