"""`__NAME__`: a tool component written with the Python Spin SDK and built
with componentize-py. `spin up` runs it, and so does
`weft serve --manifest spin.toml`, with no Spin installed.

It speaks the tools contract relative to its route (`spin-path-info`):

- POST /execute {session_id, tool, args} -> {success, result, error_type?}
- GET /health, and GET /components with the tools in MCP form
- DELETE /session/{id}: forgets what the session stored

A Spin key-value store belongs to the application and is shared by every
session, so keys carry the session: `session_id:key`. The variable
`greeting` comes from spin.toml (or SPIN_VARIABLE_GREETING).

Tool results are what a model will read: say what happened, and on failure
say why with an error_type (InvalidArguments, NotFound, IOError, ...), the
way a real tool would.
"""

import json

from spin_sdk import http, key_value, variables
from spin_sdk.http import Request, Response

COMPONENT = "__NAME__"


def _string(description):
    return {"type": "string", "description": description}


TOOLS = [
    {"name": "__PREFIX___remember", "description": "Remember a value under a key for the rest of this conversation",
     "inputSchema": {"type": "object", "properties": {"key": _string("Name to remember it by"),
                                                      "value": _string("What to remember")},
                     "required": ["key", "value"]}},
    {"name": "__PREFIX___recall", "description": "Recall the value remembered under a key",
     "inputSchema": {"type": "object", "properties": {"key": _string("The name it was remembered by")},
                     "required": ["key"]}},
    {"name": "__PREFIX___greet", "description": "Greet someone",
     "inputSchema": {"type": "object", "properties": {"name": _string("Who to greet")}, "required": ["name"]}},
]


class ToolFailure(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def reply(status, body):
    return Response(status, {"content-type": "application/json"}, json.dumps(body).encode())


def argument(args, name):
    value = args.get(name) if isinstance(args, dict) else None
    if not isinstance(value, str):
        raise ToolFailure("InvalidArguments", f"Missing required argument: {name}")
    return value


def run_tool(session, tool, args):
    if tool == "__PREFIX___remember":
        key, value = argument(args, "key"), argument(args, "value")
        key_value.open_default().set(f"{session}:{key}", value.encode())
        return f"Remembered {key}"
    if tool == "__PREFIX___recall":
        key = argument(args, "key")
        value = key_value.open_default().get(f"{session}:{key}")
        if value is None:
            raise ToolFailure("NotFound", f"Nothing remembered under {key}")
        return value.decode("utf-8", "replace")
    if tool == "__PREFIX___greet":
        name = argument(args, "name")
        return f"{variables.get('greeting')}, {name}!"
    raise ToolFailure("UnknownTool", f"Unknown tool: {tool}")


def execute(body):
    try:
        call = json.loads(body or b"")
        session, tool = call["session_id"], call["tool"]
        args = call.get("args") or {}
    except (ValueError, KeyError, TypeError) as err:
        return reply(400, {"success": False, "result": f"Invalid request: {err!r}", "error_type": "InvalidRequest"})
    try:
        return reply(200, {"success": True, "result": run_tool(session, tool, args)})
    except ToolFailure as failure:
        return reply(200, {"success": False, "result": str(failure), "error_type": failure.error_type})
    except Exception as err:  # the store or a variable failed
        return reply(200, {"success": False, "result": f"{type(err).__name__}: {err}", "error_type": "IOError"})


def forget(session):
    if not session:
        return reply(400, {"error": "Missing session_id"})
    store = key_value.open_default()
    mine = [key for key in store.get_keys() if key.startswith(f"{session}:")]
    for key in mine:
        store.delete(key)
    return reply(200, {"success": True, "deleted_files": len(mine)})


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        info = request.headers.get("spin-path-info")
        path = info if info else request.uri.split("?", 1)[0]
        if request.method == "POST" and path == "/execute":
            return execute(request.body)
        if request.method == "GET" and path == "/health":
            return reply(200, {"status": "healthy", "components": [COMPONENT]})
        if request.method == "GET" and path == "/components":
            return reply(200, {"components": [COMPONENT], "tools": TOOLS})
        if request.method == "DELETE" and path.startswith("/session/"):
            return forget(path[len("/session/"):])
        return reply(404, {"error": "Not found"})
