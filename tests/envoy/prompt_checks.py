"""Checks of the prompt listener in Envoy beyond the conformance suite (tests/envoy/run).

usage: prompt_checks.py PROMPT_GATEWAY ADMIN DEAD_CLUSTER [N BUDGET_BYTES]

1. A prompt target whose developer endpoint is a closed port (the `dead_api` target the run
   script adds to the suite's prompt config): the client gets a 502 in its own API shape
   (OpenAI Chat and Anthropic Messages) naming the target, without the endpoint's address;
   Envoy's stats show the connection failures on the endpoint's own cluster (DEAD_CLUSTER), so
   the call went through the cluster the generator declared.
2. The prompt filter's stats are its own (`wasmcustom.plano_prompt.*`): it counted these
   requests, the model listener's filter (`plano_llm`) none of them.
3. Memory: N weather-flow requests (function-calling model, developer API, LLM: three side and
   upstream calls each) over one keep-alive connection; the prompt VMs' linear memory
   (`wasmcustom.plano_prompt.vm_memory_bytes`, the last VM to report) must stay under
   BUDGET_BYTES.
Exits 1 on the first failed check."""

import http.client
import json
import sys
import time
from urllib.parse import urlparse


def post(url, path, body, headers=None):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    h = {"content-type": "application/json"}
    h.update(headers or {})
    conn.request("POST", path, json.dumps(body), h)
    r = conn.getresponse()
    return r.status, r.read().decode()


def stats(admin, filt):
    conn = http.client.HTTPConnection(admin.hostname, admin.port, timeout=10)
    conn.request("GET", "/stats?filter=" + filt)
    out = {}
    for line in conn.getresponse().read().decode().splitlines():
        name, _, value = line.rpartition(": ")
        if value.isdigit():
            out[name] = int(value)
    return out


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    gateway, admin, dead_cluster = urlparse(sys.argv[1]), urlparse(sys.argv[2]), sys.argv[3]
    dead_addr = dead_cluster.rsplit("_", 2)[-2] + ":" + dead_cluster.rsplit("_", 1)[-1]
    before = stats(admin, "wasmcustom")

    status, text = post(
        gateway,
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "dead_api now"}]},
    )
    if status != 502:
        fail(f"chat: dead_api answered {status}, expected 502: {text}")
    err = json.loads(text).get("error", {})
    if "dead_api" not in str(err.get("message")) or dead_addr in text:
        fail(f"chat: the 502 should name the target and not its address: {text}")
    print(f"ok  chat: 502 {err.get('message')!r}")

    status, text = post(
        gateway,
        "/v1/messages",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "dead_api please"}],
        },
        {"anthropic-version": "2023-06-01"},
    )
    body = json.loads(text)
    if status != 502 or body.get("type") != "error" or "dead_api" not in text:
        fail(f"messages: expected an Anthropic-shaped 502 naming dead_api, got {status}: {text}")
    print(f"ok  messages: 502 {body['error'].get('message')!r}")

    s = stats(admin, dead_cluster)
    fails = s.get(f"cluster.{dead_cluster}.upstream_cx_connect_fail", 0)
    if fails < 2:
        fail(f"no connection failures counted on cluster {dead_cluster}: {s}")
    print(f"ok  cluster {dead_cluster}: {fails} connection failures")

    after = stats(admin, "wasmcustom")

    def delta(name):
        key = f"wasmcustom.{name}.requests_total"
        return after.get(key, 0) - before.get(key, 0)

    if delta("plano_prompt") != 2 or delta("plano_llm") != 0:
        fail(f"expected 2 more plano_prompt requests, none on plano_llm: {before} -> {after}")
    print(f"ok  stats: plano_prompt.requests_total {after['wasmcustom.plano_prompt.requests_total']} (+2), plano_llm unchanged")

    if len(sys.argv) > 5:
        memory(gateway, admin, int(sys.argv[4]), int(sys.argv[5]))


def memory(gateway, admin, n, budget):
    conn = http.client.HTTPConnection(gateway.hostname, gateway.port, timeout=30)
    start = time.monotonic()
    for i in range(n):
        body = {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"get_weather city=City{i % 50}"}],
        }
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"content-type": "application/json"})
        r = conn.getresponse()
        text = r.read().decode()
        if r.status != 200 or "choices" not in text:
            fail(f"weather request {i}: {r.status} {text[:300]}")
    rate = n / (time.monotonic() - start)
    time.sleep(2.5)  # two ticks of the filter's memory gauge
    mem = stats(admin, "plano_prompt.vm_memory_bytes").get(
        "wasmcustom.plano_prompt.vm_memory_bytes", 0)
    if mem == 0 or mem > budget:
        fail(f"prompt VM memory after {n} weather flows: {mem} bytes (budget {budget})")
    print(f"ok  memory: prompt VM linear memory {mem / 1048576:.2f} MiB after {n} weather flows "
          f"({rate:.0f} flows/s sequential, 3 calls each)")


if __name__ == "__main__":
    main()
