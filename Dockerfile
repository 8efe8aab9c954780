# Example image (see docker-compose.yml).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin switchboard

FROM debian:bookworm-slim
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
EXPOSE 8080
CMD ["switchboard", "serve", "--bind", "0.0.0.0:8080"]
