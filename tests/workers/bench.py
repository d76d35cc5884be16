"""CPU time of workerd per request: tests/workers/run --bench.

usage: bench.py GATEWAY_URL PROCESS_GROUP

Sends warm-up requests, then N sequential non-streaming requests over one keep-alive
connection for each case, and reads the CPU time (user + system) of the workerd processes in
PROCESS_GROUP (wrangler's) from /proc before and after. The figure is an upper bound of the
worker's CPU per request: it includes workerd's own HTTP serving and its outgoing fetch to the
mock, which Cloudflare does not bill as the worker's CPU time.
"""

import http.client
import json
import os
import sys
import time
from urllib.parse import urlparse

N = 400
CASES = [
    ("GET /v1/models (answered by the worker, no upstream call)", "/v1/models", None),
    (
        "OpenAI Chat -> OpenAI (passthrough)",
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]},
    ),
    (
        "OpenAI Chat -> Anthropic (translated)",
        "/v1/chat/completions",
        {
            "model": "anthropic/claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "Hello there"}],
        },
    ),
    (
        "Anthropic Messages -> OpenAI (translated)",
        "/v1/messages",
        {
            "model": "gpt-4o-mini",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "Hello there"}],
        },
    ),
]


def workerd_cpu(group):
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        # fields[2] is the process group; [11], [12] utime and stime (after the name).
        if fields[2] == group and comm == "workerd":
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main():
    url, group = urlparse(sys.argv[1]), sys.argv[2]
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"content-type": "application/json", "authorization": "Bearer x"}
    for name, path, body in CASES:
        method, data = ("GET", None) if body is None else ("POST", json.dumps(body))
        for _ in range(50):
            conn.request(method, path, data, headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                sys.exit(f"{name}: status {r.status}")
        cpu0, t0 = workerd_cpu(group), time.perf_counter()
        for _ in range(N):
            conn.request(method, path, data, headers)
            conn.getresponse().read()
        cpu1, t1 = workerd_cpu(group), time.perf_counter()
        if cpu1 == 0:
            sys.exit(f"no workerd process in process group {group}")
        print(
            f"{name}: {(cpu1 - cpu0) / N * 1000:.2f} ms workerd CPU per request, "
            f"{(t1 - t0) / N * 1000:.2f} ms wall ({N} requests)"
        )


main()
