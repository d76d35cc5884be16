"""The filter's memory under load (tests/envoy/run): N non-streaming requests over keep-alive
connections, then one long stream, reading this VM's linear memory from Envoy's admin stats
(`wasmcustom.plano_llm.vm_memory_bytes`, set on the filter's 1 s tick) after each phase.

usage: memory.py GATEWAY ADMIN N BUDGET_BYTES
Prints the figures; exits 1 when a request fails or steady memory is over the budget."""

import http.client
import json
import sys
import time
from urllib.parse import urlparse


def gauge(admin):
    conn = http.client.HTTPConnection(admin.hostname, admin.port, timeout=10)
    conn.request("GET", "/stats?filter=plano_llm.vm_memory_bytes")
    text = conn.getresponse().read().decode()
    for line in text.splitlines():
        if "vm_memory_bytes" in line:
            return int(line.rsplit(":", 1)[1])
    return 0


def settle(admin):
    time.sleep(2.5)  # two ticks
    return gauge(admin)


def main():
    gw, admin = urlparse(sys.argv[1]), urlparse(sys.argv[2])
    n, budget = int(sys.argv[3]), int(sys.argv[4])
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]})
    conn = http.client.HTTPConnection(gw.hostname, gw.port, timeout=30)

    def post(path, payload, headers=None):
        nonlocal conn
        for attempt in range(2):
            try:
                conn.request("POST", path, payload, {"content-type": "application/json", **(headers or {})})
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, data
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection(gw.hostname, gw.port, timeout=60)
        raise SystemExit("request failed twice")

    status, _ = post("/v1/chat/completions", body)
    first = settle(admin)
    start = time.time()
    for i in range(n):
        status, data = post("/v1/chat/completions", body)
        if status != 200:
            raise SystemExit(f"request {i}: status {status}: {data[:200]!r}")
    took = time.time() - start
    after_requests = settle(admin)
    stream = json.dumps({"model": "long-stream", "stream": True,
                         "messages": [{"role": "user", "content": "Go on"}]})
    status, data = post("/v1/messages", json.dumps({"model": "long-stream", "stream": True, "max_tokens": 100000,
                                                     "messages": [{"role": "user", "content": "Go on"}]}))
    if status != 200 or b"message_stop" not in data:
        raise SystemExit(f"long stream (Chat upstream -> Messages client): status {status}, {len(data)} bytes, tail {data[-200:]!r}")
    stream_bytes = len(data)
    status, data = post("/v1/chat/completions", stream)
    if status != 200 or not data.rstrip().endswith(b"[DONE]"):
        raise SystemExit(f"long stream (passthrough): status {status}, tail {data[-200:]!r}")
    after_stream = settle(admin)
    mib = lambda b: f"{b / 1048576:.2f} MiB"
    print(f"per-VM linear memory: after 1 request {mib(first)}; after {n} more requests {mib(after_requests)} "
          f"({n / took:.0f} req/s sequential); after two long streams (translated: {stream_bytes} bytes to the client) {mib(after_stream)}")
    steady = max(after_requests, after_stream)
    if steady > budget:
        raise SystemExit(f"steady memory {mib(steady)} is over the budget {mib(budget)}")
    if after_stream > after_requests + 1048576 or after_requests > first + 1048576:
        raise SystemExit("memory grew by more than 1 MiB between phases")


main()
