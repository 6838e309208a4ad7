FROM python:3.11-slim-bookworm
# WeasyPrint renders PDFs with Pango; matplotlib and psycopg's binary wheel need nothing more.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY delphi ./delphi
COPY surveys ./surveys
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home delphi && mkdir -p /app/var /app/staticfiles && chown -R delphi /app/var /app/staticfiles
USER delphi
EXPOSE 8000
CMD ["gunicorn", "delphi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
