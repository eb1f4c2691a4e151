#!/usr/bin/env bash
# grpc-dotnet moving raw bytes both ways at once between two processes: the gRPC ceiling for a two-rank ring.
#   usage: run.sh [CHUNK_KB] [TOTAL_MB]      default 256 KB chunks, 256 MB per pull
# Prints one line per peer: the median of 3 simultaneous pulls, in GB/s each way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/grpc-two-way
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
if [ ! -x "$out/grpc-two-way" ] || [ "$here/Program.cs" -nt "$out/grpc-two-way" ]; then
  dotnet build "$here/grpc-two-way.csproj" -c Release -o "$out" -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
fi
chunk=${1:-256}; total=${2:-256}
port=$((30000 + RANDOM % 20000))
"$out/grpc-two-way" "$port" $((port + 1)) "$chunk" "$total" "$work" a &
"$out/grpc-two-way" $((port + 1)) "$port" "$chunk" "$total" "$work" b
wait
