"""`__NAME__`: a tool component of weft's own world (wit/weft.wit), written in
Python and built with componentize-py:

    componentize-py -d wit -w tool componentize app -o __NAME__.wasm

The host calls it directly, in a fresh instance per call, with no HTTP in
between:

- describe() lists the tools in MCP form (what the model is offered);
- execute(session, tool, args_json) runs one call and returns the outcome the
  model reads.

The session store is already scoped to the call's session by the host: keys
need no prefix and no other session's keys can be named. The variable
`greeting` comes from weft.toml (or WEFT_VAR_GREETING).

Tool results are what a model will read: say what happened, and on failure
say why with an error type, the way a real tool would.
"""

import json

import wit_world
from wit_world.imports import config, session_store
from wit_world.imports.types import ErrorType, Outcome, ToolDefinition
from wit_world.types import Err


def _string(description):
    return {"type": "string", "description": description}


TOOLS = [
    ("__PREFIX___remember", "Remember a value under a key for the rest of this conversation",
     {"type": "object", "properties": {"key": _string("Name to remember it by"), "value": _string("What to remember")},
      "required": ["key", "value"]}),
    ("__PREFIX___recall", "Recall the value remembered under a key",
     {"type": "object", "properties": {"key": _string("The name it was remembered by")}, "required": ["key"]}),
    ("__PREFIX___greet", "Greet someone",
     {"type": "object", "properties": {"name": _string("Who to greet")}, "required": ["name"]}),
]


class ToolFailure(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def argument(args, name):
    value = args.get(name) if isinstance(args, dict) else None
    if not isinstance(value, str):
        raise ToolFailure(ErrorType.INVALID_ARGUMENTS, f"Missing required argument: {name}")
    return value


def run_tool(tool, args):
    if tool == "__PREFIX___remember":
        key, value = argument(args, "key"), argument(args, "value")
        session_store.set(key, value.encode())
        return f"Remembered {key}"
    if tool == "__PREFIX___recall":
        key = argument(args, "key")
        value = session_store.get(key)
        if value is None:
            raise ToolFailure(ErrorType.FILE_NOT_FOUND, f"Nothing remembered under {key}")
        return value.decode("utf-8", "replace")
    if tool == "__PREFIX___greet":
        name = argument(args, "name")
        return f"{config.get('greeting') or 'Hello'}, {name}!"
    raise ToolFailure(ErrorType.UNKNOWN_TOOL, f"Unknown tool: {tool}")


class WitWorld(wit_world.WitWorld):
    def describe(self):
        return [ToolDefinition(name, None, description, json.dumps(schema), None)
                for name, description, schema in TOOLS]

    def execute(self, session, tool, args_json):
        try:
            args = json.loads(args_json or "{}")
            return Outcome(True, run_tool(tool, args), None)
        except ToolFailure as failure:
            return Outcome(False, str(failure), failure.error_type)
        except Err as err:  # the session store failed
            return Outcome(False, f"Store error: {err.value}", ErrorType.IO_ERROR)
        except ValueError as err:
            return Outcome(False, f"Arguments are not JSON: {err}", ErrorType.INVALID_ARGUMENTS)
