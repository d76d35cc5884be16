"""Init time of a Lambda function binary, as Lambda counts it (tests/lambda/run --bench).

    python3 init_time.py RUNS ENV_FILE BINARY [BINARY_ARGS...]

Lambda's "Init Duration" runs from starting the bootstrap process until the runtime asks
for its first event (`GET /2018-06-01/runtime/invocation/next`). This stands in for the
Runtime API with a tiny HTTP server on 127.0.0.1, starts BINARY RUNS times with the
variables of ENV_FILE (KEY=VALUE lines) plus the Lambda runtime's own, and prints the
median, minimum and maximum time from spawn to that first request. The process is killed
after each measurement; no event is ever delivered."""

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

runs, env_file, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
asked = threading.Event()


class RuntimeApi(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            asked.set()
        # Hold the request: the measurement ends at its arrival.
        time.sleep(5)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()

env = {"PATH": os.environ.get("PATH", "")}
for line in open(env_file):
    if "=" in line:
        k, v = line.rstrip("\n").split("=", 1)
        env[k] = v
env.update(
    AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
    AWS_LAMBDA_FUNCTION_NAME="plano",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
    AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
    AWS_LAMBDA_LOG_STREAM_NAME="init-time",
    AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/plano",
)
times = []
for _ in range(runs):
    asked.clear()
    start = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = asked.wait(timeout=30)
    elapsed = time.monotonic() - start
    proc.kill()
    proc.wait()
    if not ok:
        sys.exit(f"{command[0]} never asked for an event")
    times.append(elapsed * 1000)
times.sort()
print(
    f"init (spawn to first /next): median {times[len(times) // 2]:.1f} ms, "
    f"min {times[0]:.1f} ms, max {times[-1]:.1f} ms over {runs} runs"
)
