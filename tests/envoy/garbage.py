"""Bad input through Envoy (tests/envoy/run): random paths, methods, headers and bodies
(truncated and mutated JSON of every API, random bytes, huge numbers, wrong types), then one
good request. Exits 1 on a 5xx for a client mistake or when the good request fails
afterwards (a panicking filter kills its VM and every later request fails).

usage: garbage.py GATEWAY N SEED"""

import http.client
import json
import random
import sys
from urllib.parse import urlparse

PATHS = ["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/messages/count_tokens",
         "/v1beta/models/gemini-2.5-flash:generateContent", "/v1beta/models/x:streamGenerateContent?alt=sse",
         "/model/amazon.nova-pro-v1:0/converse", "/model/%ZZ/converse-stream", "/v1/responses/resp_x",
         "/v1/models", "/", "/v1/chat/completions?x=%00", "//v1//messages", "/v1/chat/completions/../../x"]
GOOD = [
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
    {"model": "gpt-4o-mini", "input": "hi", "previous_response_id": "resp_nope"},
    {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
    {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
]


def mutate(rng, value):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            r = rng.random()
            if r < 0.15:
                continue
            out[k] = mutate(rng, v)
        if rng.random() < 0.2:
            out[rng.choice(["stream", "tools", "max_tokens", "n", "model"])] = rng.choice(
                [None, True, -1, 10**30, "x" * rng.randint(0, 50), [], {}, [1, {"a": None}]])
        return out
    if isinstance(value, list):
        return [mutate(rng, v) for v in value if rng.random() > 0.1] + (
            [rng.choice([1, "x", None, {}])] if rng.random() < 0.2 else [])
    if rng.random() < 0.2:
        return rng.choice([None, 0, -5, 1.5e308, "", "\u0000\ud7ff", [], {}, True])
    return value


def body_for(rng):
    r = rng.random()
    if r < 0.15:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    text = json.dumps(mutate(rng, rng.choice(GOOD)))
    if r < 0.35:
        text = text[: rng.randint(0, len(text))]
    return text.encode()


def main():
    gw = urlparse(sys.argv[1])
    n, rng = int(sys.argv[2]), random.Random(int(sys.argv[3]))
    bad = []
    for i in range(n):
        method = rng.choice(["POST"] * 6 + ["GET", "DELETE", "PUT", "PATCH"])
        path = rng.choice(PATHS)
        headers = {"content-type": rng.choice(["application/json", "text/plain", "application/json; charset=utf-8"])}
        if rng.random() < 0.3:
            headers[rng.choice(["authorization", "x-api-key", "x-arch-llm-provider-hint", "traceparent", "x-conformance-user"])] = \
                rng.choice(["", "Bearer x", "00-zz-yy-01", "default", "nope", "x" * 300])
        body = body_for(rng) if method in ("POST", "PUT", "PATCH") else b""
        conn = http.client.HTTPConnection(gw.hostname, gw.port, timeout=30)
        try:
            conn.request(method, path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
            # 502 is the mock refusing a request the gateway forwarded (an unknown model at the
            # default provider, say); 500 or 503 would be the gateway's own failure.
            if resp.status in (500, 503):
                bad.append((i, method, path, resp.status, data[:200]))
        finally:
            conn.close()
    conn = http.client.HTTPConnection(gw.hostname, gw.port, timeout=30)
    conn.request("POST", "/v1/chat/completions", json.dumps(GOOD[0]), {"content-type": "application/json"})
    resp = conn.getresponse()
    ok = resp.status == 200 and b"choices" in resp.read()
    for b in bad[:10]:
        print("gateway failure on bad input:", b)
    print(f"{n} bad requests: {len(bad)} answered 500/503; a good request afterwards: {'ok' if ok else 'FAILED'}")
    if bad or not ok:
        sys.exit(1)


main()
