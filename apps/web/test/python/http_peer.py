"""Python's own HTTP clients against the web server: http.client over one
kept-alive connection, then urllib.request. Prints one JSON object.

usage: http_peer.py BASE_URL
"""
import hashlib
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

base = sys.argv[1]
url = urllib.parse.urlsplit(base)
result = {}

# http.client: three requests on one connection; each response must be read
# whole before the next request, as keep-alive requires.
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
exchanges = []
sockets = set()
for method, path in [("GET", "/index.html"), ("HEAD", "/big.bin"), ("GET", "/missing.txt"), ("GET", "/big.bin")]:
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    sockets.add(id(conn.sock))
    exchanges.append({
        "method": method,
        "path": path,
        "status": response.status,
        "reason": response.reason,
        "type": response.getheader("Content-Type"),
        "length": response.getheader("Content-Length"),
        "bodyBytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    })
result["exchanges"] = exchanges
result["connections"] = len(sockets)
conn.close()

with urllib.request.urlopen(base + "/docs/", timeout=10) as response:
    result["urllib"] = {"status": response.status, "body": response.read().decode("utf-8"), "type": response.headers["Content-Type"]}
try:
    urllib.request.urlopen(urllib.request.Request(base + "/index.html", data=b"x=1", method="POST"), timeout=10)
except urllib.error.HTTPError as error:
    result["post"] = {"status": error.code, "allow": error.headers["Allow"]}

print(json.dumps(result))
