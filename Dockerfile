# syntax=docker/dockerfile:1
# Multi-stage build: a static policybot binary on a distroless non-root base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/policybot ./cmd/policybot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/policybot /policybot
USER nonroot:nonroot
ENV POLICYBOT_LISTEN=0.0.0.0:8080 \
    POLICYBOT_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/policybot", "healthcheck"]
ENTRYPOINT ["/policybot"]
CMD ["serve"]
