"""The filter's memory under load (tests/envoy/run): N non-streaming requests over one
keep-alive connection, N/2 more, then two long streams, reading this VM's linear memory from
Envoy's admin stats (`wasmcustom.plano_llm.vm_memory_bytes`, set on the filter's 1 s tick)
after each phase. Wasm memory never shrinks: each figure is the VM's high-water mark.

usage: memory.py GATEWAY ADMIN N BUDGET_BYTES
Prints the figures; exits 1 when a request fails, memory after N requests is over the budget,
it grows further with more requests, or a long stream grows it by more than 1 MiB (a stream
is relayed chunk by chunk, never held whole) or past the budget, or the 32 MB stream's first
event comes after half its time."""

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
    # Per path, the last answer's (first event, whole answer) seconds after its request.
    timings = {}

    def post(path, payload, headers=None):
        nonlocal conn
        for attempt in range(2):
            try:
                start = time.time()
                conn.request("POST", path, payload, {"content-type": "application/json", **(headers or {})})
                resp = conn.getresponse()
                data, first = bytearray(), None
                while chunk := resp.read1(65536):
                    if first is None and b"data: {" in chunk:
                        first = time.time() - start
                    data.extend(chunk)
                timings[path] = (first, time.time() - start)
                return resp.status, bytes(data)
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection(gw.hostname, gw.port, timeout=60)
        raise SystemExit("request failed twice")

    status, _ = post("/v1/chat/completions", body)
    first = settle(admin)

    def run(count):
        start = time.time()
        for i in range(count):
            status, data = post("/v1/chat/completions", body)
            if status != 200:
                raise SystemExit(f"request {i}: status {status}: {data[:200]!r}")
        return count / (time.time() - start)

    rate = run(n)
    after_requests = settle(admin)
    run(n // 2)
    after_more = settle(admin)
    long_body = json.dumps({"model": "long-stream", "stream": True, "max_tokens": 100000,
                            "messages": [{"role": "user", "content": "Go on"}]})
    status, data = post("/v1/messages", long_body)
    if status != 200 or b"message_stop" not in data:
        raise SystemExit(f"long stream (Chat upstream -> Messages client): status {status}, {len(data)} bytes, tail {data[-200:]!r}")
    stream_bytes = len(data)
    stream = json.dumps({"model": "long-stream", "stream": True,
                         "messages": [{"role": "user", "content": "Go on"}]})
    # 200,000 chunks (about 32 MB): a fast upstream, so Envoy's chunks are as large as the
    # provider cluster's buffer limit lets them be.
    status, data = post("/v1/chat/completions", stream, {"x-chunks": "200000"})
    if status != 200 or not data.rstrip().endswith(b"[DONE]"):
        raise SystemExit(f"long stream (passthrough): status {status}, tail {data[-200:]!r}")
    stream_bytes = max(stream_bytes, len(data))
    first_event, whole = timings["/v1/chat/completions"]
    after_stream = settle(admin)
    mib = lambda b: f"{b / 1048576:.2f} MiB"
    print(f"per-VM linear memory: after 1 request {mib(first)}; after {n} more requests {mib(after_requests)} "
          f"({rate:.0f} req/s sequential); after {n // 2} more {mib(after_more)}; after two long streams "
          f"(up to {stream_bytes} bytes to the client, relayed chunk by chunk) {mib(after_stream)}")
    if first_event is None:
        raise SystemExit("the long stream had no event")
    print(f"32 MB stream: first event {first_event * 1000:.0f} ms after the request, whole answer {whole * 1000:.0f} ms")
    if first_event > whole / 2:
        raise SystemExit("the long stream's first event came late: buffered, not relayed?")
    if after_requests > budget:
        raise SystemExit(f"steady memory {mib(after_requests)} is over the budget {mib(budget)}")
    if after_more > after_requests + 256 * 1024:
        raise SystemExit("memory kept growing with more requests (a leak)")
    # A stream goes through Envoy's router and is transcoded chunk by chunk: the VM never holds
    # it, so a long stream (megabytes) must not move the high-water mark by more than 1 MiB,
    # nor past the budget.
    if after_stream > budget:
        raise SystemExit(f"memory after the long streams {mib(after_stream)} is over the budget {mib(budget)}")
    if after_stream > after_more + 1048576:
        raise SystemExit(f"a long stream ({stream_bytes} bytes) grew the VM by more than 1 MiB: held, not relayed?")


main()
