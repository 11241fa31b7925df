#!/usr/bin/env python3
"""Render TRL records through a chat template the way Hugging Face
transformers' ``apply_chat_template(..., tokenize=False)`` does, with the
``jinja2`` package only (no transformers, no tokenizer).

It is the reference weft's Rust renderer is compared with, byte for byte
(tests/test_chat_templates.rs). What it reproduces, from transformers 5.x
(``utils/chat_template_utils.py``, ``tokenization_utils_base.py``):

* ``ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
  extensions=[generation tag, loopcontrols])``;
* ``tojson`` = ``json.dumps(x, ensure_ascii=False, indent=None,
  separators=None, sort_keys=False)``;
* globals ``raise_exception``, ``strftime_now`` (here at a fixed date, so
  renders do not change from day to day);
* messages prepared as transformers 5 prepares them: top-level keys whose
  value is None dropped, then the reasoning fields aliased;
* variables ``messages, tools, documents, add_generation_prompt``, then the
  special tokens that are set, then the extra kwargs.

Usage:
    render_chat_template.py TEMPLATE.jinja RECORDS.jsonl --date YYYY-MM-DD
        [--bos TOKEN] [--eos TOKEN] [--kwargs JSON] [--add-generation-prompt]

Prints one JSON line per record: {"text": ...}, or {"error": ...} when the
template raised.
"""

import argparse
import datetime
import json
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationTag(jinja2.ext.Extension):
    """transformers' {% generation %}: renders its body as is."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def environment(date):
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: date.strftime(fmt)
    return env


REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")


def prepare(messages):
    prepared = []
    for message in messages:
        message = {k: v for k, v in message.items() if v is not None}
        reasoning = next((message[k] for k in REASONING_FIELDS if message.get(k) is not None), None)
        if reasoning is not None:
            message = {"thinking": reasoning, **message, "reasoning_content": reasoning}
        prepared.append(message)
    return prepared


def variables(record, args):
    out = {
        "messages": prepare(record["messages"]),
        "tools": record.get("tools"),
        "documents": None,
        "add_generation_prompt": args.add_generation_prompt,
    }
    if args.bos is not None:
        out["bos_token"] = args.bos
    if args.eos is not None:
        out["eos_token"] = args.eos
    out.update(json.loads(args.kwargs))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("template")
    parser.add_argument("records")
    parser.add_argument("--date", required=True)
    parser.add_argument("--bos")
    parser.add_argument("--eos")
    parser.add_argument("--kwargs", default="{}")
    parser.add_argument("--add-generation-prompt", action="store_true")
    args = parser.parse_args()
    date = datetime.datetime.strptime(args.date, "%Y-%m-%d")
    with open(args.template, encoding="utf-8") as f:
        template = environment(date).from_string(f.read())
    with open(args.records, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    for record in records:
        try:
            out = {"text": template.render(**variables(record, args))}
        except Exception as err:  # the template raised, or failed on the data
            out = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
