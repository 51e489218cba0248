# syntax=docker/dockerfile:1
#
# The chat gateway as a container image.
#
#   docker build -t chat-gateway .
#   docker run --rm -p 8080:8080 -p 9090:9090 -e GATEWAY_JWT_SECRET=... chat-gateway
#
# Stage 1 builds the whole Maven reactor (tests skipped: CI runs them); stage 2 is a JRE on glibc (Ubuntu), so
# Netty's native epoll transport loads. The build fails if it does not (see NativeTransportCheck below). The
# gateway starts through bin/gateway, the launcher with the measured JVM settings (docs/operations.md#jvm-settings).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The cache mount keeps downloaded dependencies between builds without putting them in a layer.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests package \
    && mkdir -p /out \
    && cp gateway-server/target/gateway-server.jar /out/ \
    && install -m 0755 bin/gateway /out/gateway \
    && if [ -f gateway-bench/target/gateway-bench.jar ]; then cp gateway-bench/target/gateway-bench.jar /out/; fi

FROM eclipse-temurin:17-jre-jammy
LABEL org.opencontainers.image.title="chat-gateway" \
      org.opencontainers.image.description="Netty chat gateway: WebSocket and TCP, rooms, presence" \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid gateway --home-dir /app --no-create-home --shell /usr/sbin/nologin gateway
WORKDIR /app
COPY --from=build /out/ /app/

# Refuse to produce an image in which the gateway would silently fall back to NIO.
RUN java -cp /app/gateway-server.jar io.chatgateway.server.health.NativeTransportCheck

# JVM flags: the launcher's (G1 with a small initial heap and a bounded young generation, the heap's ceiling 50 %
# of the container's memory limit, ExitOnOutOfMemoryError); add or override with -e JAVA_OPTS=... (after them),
# e.g. -e JAVA_OPTS=-Xmx8g. JDK_JAVA_OPTIONS still reaches java too (before them, so the launcher's win).
ENV GATEWAY_BIND=0.0.0.0 \
    GATEWAY_HTTP_PORT=8080 \
    GATEWAY_TCP_PORT=9090

USER 10001:10001
EXPOSE 8080 9090

# No curl or wget in the base image: bash's /dev/tcp speaks just enough HTTP to read the status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${GATEWAY_HTTP_PORT:-8080} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && timeout 2 head -c 12 <&3 | grep -q ' 200'"]

# SIGTERM (docker stop) runs the graceful shutdown: not ready, stop accepting, kick everyone with shutdown.
STOPSIGNAL SIGTERM
# The launcher execs java, so java is PID 1 and gets SIGTERM itself.
ENTRYPOINT ["/app/gateway"]
