"""A fake OpenAI-compatible chat server for whole-process benchmarks: every
/v1/chat/completions call sleeps LATENCY seconds, then answers with three
subtopics derived from the prompt (unique per parent, so a tree stays distinct).
No network: loopback only.  usage: fake_openai.py PORT LATENCY_SECONDS"""
import hashlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LATENCY = float(sys.argv[2])
ADJECTIVES = ["rolling", "blue-green", "canary", "zero-downtime", "cached", "sharded", "replicated", "audited",
              "encrypted", "throttled", "batched", "streamed", "versioned", "indexed", "pooled", "mirrored"]
NOUNS = ["deploys", "backups", "certificates", "queues", "dashboards", "alerts", "migrations", "tokens",
         "logs", "quotas", "schedules", "caches", "replicas", "secrets", "webhooks", "runbooks"]
calls = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        global calls
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        with lock:
            calls += 1
        time.sleep(LATENCY)
        prompt = body["messages"][-1]["content"]
        parent = re.search(r'subtopics of "([^"]*)"', prompt)
        parent = parent.group(1) if parent else "topic"
        count = re.search(r"Generate (\d+) subtopics", prompt)
        count = int(count.group(1)) if count else 3
        # Distinct, short names that do not restate the parent (weft drops those).
        seed = int(hashlib.sha256(parent.encode()).hexdigest(), 16)
        topics = [f"{ADJECTIVES[(seed >> (8 * i)) % len(ADJECTIVES)]} {NOUNS[(seed >> (8 * i + 4)) % len(NOUNS)]} {i + 1}"
                  for i in range(count)]
        content = json.dumps({"subtopics": topics})
        reply = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 30, "total_tokens": 80},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self):
        reply = json.dumps({"calls": calls}).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
