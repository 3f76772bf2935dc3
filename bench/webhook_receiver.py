"""A webhook receiver for the benchmark and the multi-process test: listens on a loopback port,
writes each request it gets as one JSON line (headers, body, when it arrived) to a file, and
answers 204. Run as its own process so a test can kill it and start it again:

    python bench/webhook_receiver.py PORT FILE [HOLD_SECONDS]

With HOLD_SECONDS it is a slow receiver: it holds each request that long before answering
(within the sender's 10 s timeout, it is slow, not down).
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    out = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record = {"at": time.time(), "headers": {k.lower(): v for k, v in self.headers.items()},
                      "body": body.decode()}  # fmt: skip
            out.write(json.dumps(record) + "\n")
            if hold:
                time.sleep(hold)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
