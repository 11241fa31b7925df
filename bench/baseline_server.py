"""The yardstick for bench/serve.sh: a bare asyncio HTTP server answering the
same request from a dict, with no sandbox at all. weft's figure is printed as
a ratio to this one, measured in the same run on the same machine."""
import asyncio
import json
import sys

FILES = {("bench", "config.json"): '{"debug": true}'}


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = json.loads(await reader.readexactly(length))
            content = FILES.get((body["session_id"], body["args"]["file_path"]))
            reply = json.dumps({"success": content is not None, "result": content or ""}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main(int(sys.argv[1])))
