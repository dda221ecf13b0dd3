"""The web container's health check: ask /healthz the way the TLS proxy in front would.

In production a plain request to 127.0.0.1 would be refused (the host is not in
ALLOWED_HOSTS) or redirected to HTTPS, so it names an allowed host and says, as the
proxy does, that the client came over HTTPS.
"""

import os
import sys
import urllib.request

url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)
