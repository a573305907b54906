# Conveyor in two stages: built with the Swift toolchain image, run on a slim Ubuntu with only what
# the binary needs at run time. Not built on the development machine (no container engine runs
# there); see docs/OPERATIONS.md.
FROM swift:6.3-noble AS build
WORKDIR /build
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --product conveyor --static-swift-stdlib \
    && mkdir -p /out \
    && cp .build/release/conveyor /out/ \
    # The migrations and the OpenAPI document are resource bundles beside the binary.
    && cp -R .build/release/*.resources /out/

FROM ubuntu:24.04
# libcurl: Foundation's HTTP client (Slack alerts); curl: the containers' health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libcurl4 curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/conveyor --create-home conveyor
COPY --from=build /out/ /usr/local/bin/
USER conveyor
WORKDIR /var/lib/conveyor
ENV HOST=0.0.0.0 PORT=8080 METRICS_HOST=0.0.0.0
EXPOSE 8080 9090
ENTRYPOINT ["conveyor"]
CMD ["serve"]
