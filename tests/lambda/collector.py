"""A stand-in OTLP/HTTP collector for tests/lambda/run: accepts POST /v1/traces (protobuf),
writes each body to its own file `<n>.bin` in the directory given as the only argument,
answers 200 with an empty protobuf body. Prints `listening http://127.0.0.1:PORT` once bound."""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = [0]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        COUNT[0] += 1
        name = os.path.join(sys.argv[1], f"{COUNT[0]}.bin")
        with open(name, "wb") as f:
            f.write(self.path.encode() + b"\n" + self.headers.get("content-type", "").encode() + b"\n" + body)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


os.makedirs(sys.argv[1], exist_ok=True)
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
