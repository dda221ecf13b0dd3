FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLEXION_VAR_DIR=/var/lib/flexion
WORKDIR /app

# WeasyPrint (the PDF handout) needs Pango and HarfBuzz, and a font to set the text in.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml constraints.txt README.md ./
COPY flexion ./flexion
COPY api ./api
COPY reports ./reports
COPY patients ./patients
COPY programs ./programs
COPY clinic ./clinic
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --home /app flexion \
    && mkdir -p /var/lib/flexion && chown flexion /var/lib/flexion
COPY . .
# The German and Spanish catalogs are compiled here (gettext's msgfmt, only for the build).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && DEBUG=false SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv -v0 \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput

USER flexion
EXPOSE 8000
# Workers and time-outs: gunicorn.conf.py (WEB_CONCURRENCY).
CMD ["gunicorn", "flexion.wsgi", "--bind", "0.0.0.0:8000"]
