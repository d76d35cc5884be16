"""The Function URL path streams: LLM events reach the client as the upstream sends them.

    python3 streaming.py GATEWAY_URL

A streaming Chat request whose upstream (the mock, `x-mock-fault: stall-after=2`) sends the
head and two events, then nothing: the gateway ends the stream with an error event when its
idle timeout (the conformance config's `gateway.timeouts.idle`, 2 s) passes. Through a
streaming path the first events arrive at once and the end after the timeout; a buffering
path would deliver everything together at the end. Fails when the first event is not in
the client's hands well before the stream ends."""

import json
import sys
import time
import urllib.request

gateway = sys.argv[1].rstrip("/")
body = json.dumps(
    {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "Hello"}]}
).encode()
req = urllib.request.Request(
    gateway + "/v1/chat/completions",
    data=body,
    headers={"content-type": "application/json", "x-mock-fault": "stall-after=2"},
)
start = time.monotonic()
first = None
data = b""
with urllib.request.urlopen(req, timeout=30) as resp:
    while True:
        chunk = resp.read1(65536)
        if not chunk:
            break
        if first is None and b"data:" in chunk:
            first = time.monotonic() - start
        data += chunk
end = time.monotonic() - start
print(f"first event after {first:.3f} s, stream ended after {end:.3f} s ({len(data)} bytes)")
if first is None:
    sys.exit(f"no event at all: {data[:300]!r}")
if end < 1.5:
    sys.exit("the stream ended before the idle timeout: the stall fault did not apply")
if first > end - 1.0:
    sys.exit("the first event arrived with the end of the stream: the response was buffered")
print("streamed, not buffered")
