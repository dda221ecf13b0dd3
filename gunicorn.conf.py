"""gunicorn's settings for Flexion, read from the working directory by ``gunicorn flexion.wsgi``.

The same file serves docker-compose, the Dockerfile and ``make bench``, so the benchmark
measures the server as it is deployed. WEB_CONCURRENCY sets the number of workers.
"""

import os

# Sync workers, one request at a time each: no interpreter lock shared between threads,
# and a slow request holds one worker only. Three on two cores keep both busy while one
# waits for the database (BENCHMARKS.md has the figures).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# Ends a worker stuck on a request (the longest legitimate ones are exports, streamed).
timeout = 120
graceful_timeout = 20
