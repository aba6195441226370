# One image for every service and the people's applications; the container's command picks
# one, e.g. python -m appeals_intake.entrypoints.main or python -m appeals_portal.entrypoints.main
# The default target is what production runs: contracts, the runtime, the services and the
# on-call's command `appeals` (status, trace, dlq: libs/ops), nothing of the development stack.
# `--target dev` adds it (the compose trial's OpenID issuer).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 HTTP_HOST=0.0.0.0
WORKDIR /app
COPY constraints.txt ./
COPY contracts contracts
COPY libs/runtime libs/runtime
COPY libs/ops libs/ops
COPY services services
COPY apps apps
RUN pip install --no-cache-dir -c constraints.txt \
        ./contracts ./libs/runtime ./libs/ops ./services/intake ./services/routing \
        ./services/deadline-tracker ./services/notification ./services/inspection ./apps/portal ./apps/workspace ./apps/desk ./apps/mail \
    && useradd --system --uid 10001 appeals

FROM base AS dev
COPY libs/devstack libs/devstack
RUN pip install --no-cache-dir -c constraints.txt ./libs/devstack \
    && mkdir -p /var/lib/appeals && chown 10001 /var/lib/appeals
USER 10001

FROM base AS production
USER 10001
EXPOSE 8000
CMD ["python", "-m", "appeals_intake.entrypoints.main"]
