"""moto server, with DynamoDB calls applied one at a time.

DynamoDB applies every write, conditional or not, atomically. moto's server handles
requests on threads and checks a condition and applies the update as separate
steps, so two concurrent `ADD n :one` under `n < :limit` can both pass (measured:
101 allowed against a quota of 100). This launcher is moto's own server with one
change: DynamoDB requests (X-Amz-Target `DynamoDB_*`) hold a lock while moto
handles them, which restores DynamoDB's atomicity. Other services (SQS long polls
among them) run concurrently as before.

It also counts requests by operation (the X-Amz-Target header: DynamoDB, SQS, KMS)
and answers `GET /_gatehouse/calls` with the counts as JSON, so benchmarks can
report how many AWS calls an operation makes, a figure that does not depend on how
fast this machine or moto is.

Usage: moto_server.py -H 127.0.0.1 -p 4566
"""

import collections
import json

import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class DynamoDbOneAtATime:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls = collections.Counter()
        self.calls_lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/_gatehouse/calls":
            with self.calls_lock:
                body = json.dumps(dict(self.calls)).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            with self.calls_lock:
                self.calls[target.split(".")[-1]] += 1
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            # Consume the whole response inside the lock: moto may compute lazily.
            return list(self.app(environ, start_response))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        DynamoDbOneAtATime(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
