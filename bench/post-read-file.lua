-- wrk script: every request reads one seeded file through the VFS.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"session_id":"bench","tool":"read_file","args":{"file_path":"config.json"}}'
