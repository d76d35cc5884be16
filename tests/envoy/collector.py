"""A stand-in OTLP/HTTP collector for tests/envoy/run: accepts POST /v1/traces (protobuf
bodies), appends `<path> <hex body>` as one line to the file given as the only argument,
answers 200. Prints `listening http://127.0.0.1:PORT` once bound."""

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(sys.argv[1], "a") as f:
            f.write(f"{self.path} {self.headers.get('content-type')} {body.hex()}\n")
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
