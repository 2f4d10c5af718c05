# landrelease engine image: a static binary on a small runtime, run as a
# non-root user. Built by docker-compose.yml; see "Running a cluster with
# docker compose" in README.md.

# Build: pure Go (the SQLite driver is pure Go too), so CGO_ENABLED=0 gives a
# static binary that runs on any base.
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/landrelease ./cmd/landrelease

# Runtime: alpine rather than scratch for busybox wget, which the health
# check uses to ask GET /api/v1/health.
FROM alpine:3.22
RUN addgroup -S -g 10001 landrelease \
 && adduser -S -D -H -u 10001 -G landrelease -h /data landrelease \
 && mkdir /data && chown 10001:10001 /data
COPY --from=build /out/landrelease /usr/local/bin/landrelease
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/landrelease"]
CMD ["serve", "--http", "0.0.0.0:8080", "--data-dir", "/data"]
