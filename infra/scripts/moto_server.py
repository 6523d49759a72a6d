"""moto server, with DynamoDB calls applied one at a time.

DynamoDB applies every write, conditional or not, atomically. moto's server handles
requests on threads and checks a condition and applies the update as separate
steps, so two concurrent `ADD n :one` under `n < :limit` can both pass (measured:
101 allowed against a quota of 100). This launcher is moto's own server with one
change: DynamoDB requests (X-Amz-Target `DynamoDB_*`) hold a lock while moto
handles them, which restores DynamoDB's atomicity. Other services (SQS long polls
among them) run concurrently as before.

It also counts requests by operation (the X-Amz-Target header: DynamoDB, SQS, KMS,
Secrets Manager; the form body's `Action` for STS and IAM)
and answers `GET /_gatehouse/calls` with the counts as JSON, so benchmarks can
report how many AWS calls an operation makes, a figure that does not depend on how
fast this machine or moto is.

And it records which caller used which IAM action on which resource, so the tests
can check every function's template policy against what the function really did
(tests/tests/least_privilege.rs). The caller is the access key id of the request's
signature (the local stack gives each function its own: its logical id); the action
is the IAM action the call needs (a DynamoDB transaction needs PutItem, UpdateItem,
DeleteItem or ConditionCheckItem on each table it writes); the resource is the
table (or `table/index/name`), queue, KMS key, secret or IAM role named in the request
(for KMS Decrypt, in the response). `GET /_gatehouse/grants-used` answers them as JSON.

And it keeps SQS sends and receives from counting the queue, as SQS does: moto reads
a queue setting (content-based deduplication on a send, the retention period for
each message received) through the property that also counts every message in the
queue three times, so n sends into a queue holding n messages cost n^2. A queue that
backs up (a SIEM destination that is down keeps its events, 72 hours by design) then
slowed every other call: measured in a fuzz run, 56% of moto's time went there and
request latency grew from 40 ms to 1.5 s. The counts are computed only when a
GetQueueAttributes call asks for them.

Usage: moto_server.py -H 127.0.0.1 -p 4566
"""

import argparse
import collections
import io
import json
import re
import signal
import sys
import threading
import urllib.parse

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sqs import models as sqs_models
from moto.sqs import responses as sqs_responses
from werkzeug.serving import run_simple


# X-Amz-Target prefix -> IAM service prefix.
SERVICES = {
    "DynamoDB_": "dynamodb",
    # DynamoDB Streams' actions are IAM `dynamodb:` actions on the stream.
    "DynamoDBStreams_": "dynamodb",
    "AmazonSQS": "sqs",
    "TrentService": "kms",
    "secretsmanager": "secretsmanager",
}
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
# The signing scope's service: STS and IAM speak the Query protocol (a form body with
# `Action=`), not X-Amz-Target.
SCOPE_SERVICE = re.compile(r"Credential=[^/,\s]+/[^/]+/[^/]+/([a-z0-9-]+)/aws4_request")
QUERY_SERVICES = ("sts", "iam")


def service_of(target):
    for prefix, service in SERVICES.items():
        if target.startswith(prefix):
            return service
    return None


def grants(service, operation, request, response):
    """The (action, resource) pairs an IAM policy must allow for this call."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            for item in request.get("TransactItems", []):
                for kind, action in TRANSACT_ACTIONS.items():
                    if kind in item:
                        yield f"dynamodb:{action}", item[kind].get("TableName", "?")
            return
        if operation == "TransactGetItems":
            for item in request.get("TransactItems", []):
                yield "dynamodb:GetItem", item.get("Get", {}).get("TableName", "?")
            return
        if operation in ("BatchWriteItem", "BatchGetItem"):
            for table in request.get("RequestItems", {}):
                yield f"dynamodb:{operation}", table
            return
        if operation in ("DescribeStream", "GetShardIterator", "GetRecords", "ListStreams"):
            # A stream ARN (`...:table/<name>/stream/<label>`), or a shard iterator,
            # which moto begins with it: the table's stream.
            arn = request.get("StreamArn") or request.get("ShardIterator", "")
            if operation == "ListStreams":
                arn = f"table/{request.get('TableName', '?')}"
            yield f"dynamodb:{operation}", arn.split("table/", 1)[-1].split("/stream/")[0]
            return
        table = request.get("TableName", "?")
        if request.get("IndexName"):
            table = f"{table}/index/{request['IndexName']}"
        yield f"dynamodb:{operation}", table
    elif service == "sqs":
        # A batch call is authorised by its single-message action.
        action = operation.removesuffix("Batch")
        yield f"sqs:{action}", request.get("QueueUrl", request.get("QueueName", "?"))
    elif service == "kms":
        key = request.get("KeyId") or response.get("KeyId") or "?"
        yield f"kms:{operation}", key
    elif service == "secretsmanager":
        yield f"secretsmanager:{operation}", request.get("SecretId", request.get("Name", "?"))
    elif service == "sts":
        if operation == "GetCallerIdentity":
            return  # needs no permission (a Vault's aws login sends it for Gatehouse)
        role = request.get("RoleArn", "?")
        yield f"sts:{operation}", role
        if operation == "AssumeRole" and any(k.startswith("Tags.member.") for k in request):
            yield "sts:TagSession", role
    elif service == "iam":
        yield f"iam:{operation}", request.get("RoleName", "?")


def count_messages_only_when_asked():
    """Patches moto's SQS so that a queue's messages are counted only for a
    GetQueueAttributes call (see the module's docstring)."""
    asked = threading.local()

    def on_request(count):
        def counted(queue):
            return count.fget(queue) if getattr(asked, "active", False) else None

        return property(counted)

    for name in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    ):
        setattr(sqs_models.Queue, name, on_request(getattr(sqs_models.Queue, name)))
    answer = sqs_responses.SQSResponse.get_queue_attributes

    def get_queue_attributes(self, *args, **kwargs):
        asked.active = True
        try:
            return answer(self, *args, **kwargs)
        finally:
            asked.active = False

    sqs_responses.SQSResponse.get_queue_attributes = get_queue_attributes


class DynamoDbOneAtATime:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls = collections.Counter()
        self.used = set()
        self.calls_lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path == "/_gatehouse/calls":
            with self.calls_lock:
                body = json.dumps(dict(self.calls)).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if path == "/_gatehouse/grants-used":
            with self.calls_lock:
                rows = [
                    {"caller": c, "action": a, "resource": r}
                    for (c, a, r) in sorted(self.used)
                ]
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(rows).encode()]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service = service_of(target)
        scope = SCOPE_SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        query_service = scope.group(1) if scope and scope.group(1) in QUERY_SERVICES else None
        if not service and not query_service:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        form = None
        if not service:
            service = query_service
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("utf-8", "replace")).items()}
            operation = form.get("Action", "?")
        else:
            operation = target.split(".")[-1]
        with self.calls_lock:
            self.calls[operation] += 1
        if service == "dynamodb":
            with self.lock:
                # Consume the whole response inside the lock: moto may compute lazily.
                body = list(self.app(environ, start_response))
        else:
            body = list(self.app(environ, start_response))
        self.record(environ, service, operation, raw, b"".join(body), form)
        return body

    def record(self, environ, service, operation, raw, response, form=None):
        found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        caller = found.group(1) if found else "?"

        def parsed(text):
            try:
                value = json.loads(text or b"{}")
                return value if isinstance(value, dict) else {}
            except ValueError:
                return {}

        request = form if form is not None else parsed(raw)
        pairs = grants(service, operation, request, parsed(response) if form is None else {})
        with self.calls_lock:
            for action, resource in pairs:
                self.used.add((caller, action, resource))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    count_messages_only_when_asked()
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
