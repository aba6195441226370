# One image for every service; the container's command picks the service, e.g.
#   python -m appeals_intake.entrypoints.main
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 HTTP_HOST=0.0.0.0
WORKDIR /app
COPY constraints.txt ./
COPY contracts contracts
COPY libs libs
COPY services services
RUN pip install --no-cache-dir -c constraints.txt \
        ./contracts ./libs/runtime ./libs/devstack ./services/intake ./services/routing \
        ./services/deadline-tracker ./services/notification ./services/inspection \
    && useradd --system --uid 10001 appeals \
    && mkdir -p /var/lib/appeals && chown 10001 /var/lib/appeals  # the trial issuer's keys (compose volume)
USER 10001
EXPOSE 8000
CMD ["python", "-m", "appeals_intake.entrypoints.main"]
