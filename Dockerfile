FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/fithub fithub \
    && mkdir -p /var/lib/fithub && chown fithub /var/lib/fithub
USER fithub
EXPOSE 8000
CMD ["fithub", "serve", "--host", "0.0.0.0", "--port", "8000"]
