"""`notes` in Python: the same tool component as ../rust, written with the
Python Spin SDK (spin-sdk 3.4, WASI 0.2) and built with componentize-py:

    componentize-py -w spin-http componentize app -o notes-py.wasm

It speaks DeepFabric's tools-sdk contract relative to its route
(`spin-path-info`): POST /execute, GET /health, GET /components,
DELETE /session/{id}. Notes are kept in Spin's key-value store under
`session_id:key`; `whoami` answers the variable `greeting`; `fetch` makes
an outbound GET; `spin_forever` never returns.
"""

import json

from spin_sdk import http, key_value, variables
from spin_sdk.http import Request, Response


def _string(description):
    return {"type": "string", "description": description}


TOOLS = [
    {"name": "note_put", "description": "Store a note in this session",
     "inputSchema": {"type": "object", "properties": {"key": _string("Name of the note"), "text": _string("The note")},
                     "required": ["key", "text"]}},
    {"name": "note_get", "description": "Read a note of this session",
     "inputSchema": {"type": "object", "properties": {"key": _string("Name of the note")}, "required": ["key"]}},
    {"name": "whoami", "description": "Say who answers", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "fetch", "description": "Fetch a URL with HTTP GET; answers its status and body",
     "inputSchema": {"type": "object", "properties": {"url": _string("Absolute http(s) URL")}, "required": ["url"]}},
    {"name": "spin_forever", "description": "Never returns", "inputSchema": {"type": "object", "properties": {}}},
]


class ToolFailure(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def reply(status, body):
    return Response(status, {"content-type": "application/json"}, json.dumps(body).encode())


def ok(result):
    return {"success": True, "result": result}


def fail(error_type, result):
    return {"success": False, "result": result, "error_type": error_type}


def endpoint(request):
    info = request.headers.get("spin-path-info")
    return info if info else request.uri.split("?", 1)[0]


def text(args, name):
    value = args.get(name) if isinstance(args, dict) else None
    if not isinstance(value, str):
        raise ToolFailure("InvalidArguments", f"Missing required argument: {name}")
    return value


def run_tool(session, tool, args):
    if tool == "note_put":
        key, note = text(args, "key"), text(args, "text")
        key_value.open_default().set(f"{session}:{key}", note.encode())
        return ok(f"Stored {len(note.encode())} bytes under {key}")
    if tool == "note_get":
        key = text(args, "key")
        note = key_value.open_default().get(f"{session}:{key}")
        if note is None:
            raise ToolFailure("NotFound", f"No note named {key}")
        return ok(note.decode("utf-8", "replace"))
    if tool == "whoami":
        return ok(variables.get("greeting"))
    if tool == "fetch":
        url = text(args, "url")
        try:
            response = http.send(Request("GET", url, {}, None))
        except Exception as err:  # refused by the host, or the request failed
            raise ToolFailure("NotAllowed", f"Request to {url} failed: {err!r}")
        body = (response.body or b"").decode("utf-8", "replace")
        return ok(json.dumps({"status": response.status, "body": body}))
    if tool == "spin_forever":
        while True:
            pass
    raise ToolFailure("UnknownTool", f"Unknown tool: {tool}")


def execute(body):
    try:
        call = json.loads(body or b"")
        session, tool = call["session_id"], call["tool"]
        args = call.get("args") or {}
    except (ValueError, KeyError, TypeError) as err:
        return reply(400, fail("InvalidRequest", f"Invalid request: {err!r}"))
    try:
        return reply(200, run_tool(session, tool, args))
    except ToolFailure as failure:
        return reply(200, fail(failure.error_type, str(failure)))
    except Exception as err:  # the store or a variable failed
        return reply(200, fail("IOError", f"{type(err).__name__}: {err!r}"))


def delete_session(session):
    if not session:
        return reply(400, {"error": "Missing session_id"})
    store = key_value.open_default()
    mine = [key for key in store.get_keys() if key.startswith(f"{session}:")]
    for key in mine:
        store.delete(key)
    return reply(200, {"success": True, "deleted_files": len(mine)})


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        path, method = endpoint(request), request.method
        if method == "POST" and path == "/execute":
            return execute(request.body)
        if method == "GET" and path == "/health":
            return reply(200, {"status": "healthy", "components": ["notes-py"]})
        if method == "GET" and path == "/components":
            return reply(200, {"components": ["notes-py"], "tools": TOOLS})
        if method == "DELETE" and path.startswith("/session/"):
            return delete_session(path[len("/session/"):])
        return reply(404, {"error": "Not found"})
