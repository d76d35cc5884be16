"""A long OpenAI Chat Completions stream for the filter's memory test (tests/envoy/run): any
POST answers `stream: true` with `x-chunks` (default 20000) content deltas, then usage and
`[DONE]`. The mock provider's transcripts are short; this is the long generation. Prints
`listening http://127.0.0.1:PORT` once bound."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        n = int(self.headers.get("x-chunks", "20000"))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

        def send(obj):
            data = b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        base = {"id": "chatcmpl-long", "object": "chat.completion.chunk", "created": 1, "model": "long"}
        send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        for i in range(n):
            send({**base, "choices": [{"index": 0, "delta": {"content": f"token {i} "}}]})
        send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        send({**base, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": n + 5}})
        send(b"[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
