"""64 concurrent clients spend one rate-limit key (tests/lambda/run).

    python3 concurrency.py GATEWAY_URL USER_KEY LIMIT

First one request on a key of its own measures the gateway's token estimate E of the request
(the budget minus its `x-ratelimit-remaining-tokens`). Then all clients start together (a
barrier) and send that same request to the limited model with one shared
`x-conformance-user`. The gateway reserves E with an atomic DynamoDB ADD before calling the
upstream and takes it back when the total is over the budget (the real usage is settled
after the response, so concurrent requests are admitted on their estimates). The admitted
estimates may exceed LIMIT by at most one request's estimate: admitted * E <= LIMIT + E. A
read-then-write store would admit nearly all 64. Fails on over-admission, when nothing is
admitted, when nothing is refused (the budget was not contended), or on any status other
than 200 and 429."""

import json
import sys
import threading
import urllib.error
import urllib.request

CLIENTS = 64
gateway, user, limit = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
barrier = threading.Barrier(CLIENTS)
results = [None] * CLIENTS


def request(key):
    body = json.dumps(
        {"model": "gpt-4o-limited", "messages": [{"role": "user", "content": "Hello"}]}
    ).encode()
    return urllib.request.Request(
        gateway + "/v1/chat/completions",
        data=body,
        headers={"content-type": "application/json", "x-conformance-user": key},
    )


with urllib.request.urlopen(request(user + "-probe"), timeout=60) as probe:
    estimate = limit - int(probe.headers["x-ratelimit-remaining-tokens"])
if estimate <= 0:
    sys.exit(f"could not measure the estimate (remaining {probe.headers['x-ratelimit-remaining-tokens']})")


def client(i):
    req = request(user)
    barrier.wait()
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            results[i] = (resp.status, json.loads(resp.read()))
    except urllib.error.HTTPError as e:
        results[i] = (e.code, e.read()[:200])
    except Exception as e:  # noqa: BLE001 - reported below
        results[i] = (0, repr(e))


threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

admitted = [r[1] for r in results if r[0] == 200]
refused = [r for r in results if r[0] == 429]
other = [r for r in results if r[0] not in (200, 429)]
tokens = [a.get("usage", {}).get("total_tokens", 0) for a in admitted]
largest = max(tokens, default=0)
print(
    f"{CLIENTS} clients: {len(admitted)} admitted (estimate {estimate} each: "
    f"{len(admitted) * estimate} reserved; real usage {sum(tokens)}, largest {largest}), "
    f"{len(refused)} refused (429), {len(other)} other; limit {limit}"
)
if other:
    sys.exit(f"unexpected answers: {other[:3]}")
if not admitted or not refused:
    sys.exit("the budget was not contended: expected both admitted and refused requests")
if len(admitted) * estimate > limit + estimate:
    sys.exit(
        f"over-admission: {len(admitted)} x {estimate} tokens admitted > limit {limit} + one estimate"
    )
print("no over-admission")
