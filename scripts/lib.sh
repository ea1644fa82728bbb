# Shared by scripts/run, scripts/test and the benches: install, build, and throwaway PostgreSQL clusters.
# Sourced, not run. Everything here is idempotent.

CANON_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CANON_PACKAGES=(build-essential cmake ninja-build pkg-config git
  libboost-dev libsimdjson-dev libre2-dev libpq-dev libspdlog-dev catch2 libphonenumber-dev
  libtomlplusplus-dev libicu-dev libssl-dev libjemalloc-dev postgresql-15 curl)
# (Debian 12's postgresql-15 ships the contrib modules itself.)
# What only scripts/test needs: chromium for the [browser] test of the steward page, which also needs Node.js 20+
# and npm on PATH (not listed: they may come from outside Debian).
# clang and its runtime libraries (libFuzzer, sanitizers) for the fuzz targets scripts/fuzz builds.
# systemd for systemd-analyze, systemd-sysusers and systemd-tmpfiles, which check the unit and its snippets
# (tests/pg_service_test.cc; none needs systemd running as PID 1).
CANON_TEST_PACKAGES=(chromium clang libclang-rt-14-dev systemd)

canon_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# canon_install_deps [extra packages...]
canon_install_deps() {
  local missing=()
  for p in "${CANON_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    canon_sudo apt-get update -qq
    canon_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# canon_build DIR BUILD_TYPE [cmake args...]; CANON_TARGETS="a b" limits what is built (default: all).
canon_build() {
  local dir="$1" type="$2"; shift 2
  cmake -S "$CANON_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  # shellcheck disable=SC2086
  ninja -C "$dir" ${CANON_TARGETS:-}
}

canon_pg_bin() { echo "/usr/lib/postgresql/15/bin"; }

# The user PostgreSQL runs as: it refuses to run as root.
canon_pg_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
  echo postgres
}

canon_as_pg() {
  local u; u="$(canon_pg_user)"
  if [ "$(id -un)" = "$u" ]; then "$@"; else runuser -u "$u" -- "$@"; fi
}

canon_free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# canon_pg_init DATADIR: a new cluster (superuser "canon", trust auth on loopback only).
canon_pg_init() {
  local dir="$1" bin; bin="$(canon_pg_bin)"
  mkdir -p "$dir"
  chown "$(canon_pg_user)" "$dir"; chmod 700 "$dir"
  canon_as_pg "$bin/initdb" -D "$dir" -U canon --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
}

# The store's settings for every cluster these scripts start (tests, benchmarks, scripts/run): the default 128 MB
# of shared buffers is smaller than the indexes of a store of a few hundred thousand records, and the CSV import
# then spends its time evicting and re-reading pages; a larger WAL allowance keeps big imports from checkpointing
# every few seconds; page images in the WAL are compressed (lz4: the first change of a page after each checkpoint
# logs the whole page, a fifth of a big import's WAL). fsync and synchronous_commit stay on.
CANON_PG_TUNING=(shared_buffers=1GB max_wal_size=4GB checkpoint_timeout=15min wal_compression=lz4)

# canon_pg_start DATADIR PORT [extra postgres -c settings...]
canon_pg_start() {
  local dir="$1" port="$2" bin; shift 2; bin="$(canon_pg_bin)"
  local opts="-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=200"
  for o in "${CANON_PG_TUNING[@]}" "$@"; do opts="$opts -c $o"; done
  canon_as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null
}

# canon_pg_hugepages DATADIR [settings...]: as root, reserves the huge pages a cluster of DATADIR with
# CANON_PG_TUNING and the settings would map its shared memory in (PostgreSQL 15's
# shared_memory_size_in_huge_pages), unless the machine already has as many, and prints the previous count for
# canon_pg_hugepages_restore. PostgreSQL's huge_pages = try then takes them at its next start. Its shared buffers are
# read at random by index descents; with huge pages a 1,000,000-row import cost the server about 10% less CPU per row
# (docs/operations.md, "Server settings"). Not root, or the kernel cannot find the memory: nothing changes, the
# server uses 4 kB pages.
canon_pg_hugepages() {
  local dir="$1" bin; shift; bin="$(canon_pg_bin)"
  local now want opts=()
  now="$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)"
  echo "$now"
  [ "$(id -u)" -eq 0 ] || return 0
  for o in max_connections=200 "${CANON_PG_TUNING[@]}" "$@"; do opts+=(-c "$o"); done
  want="$(canon_as_pg "$bin/postgres" -D "$dir" "${opts[@]}" -C shared_memory_size_in_huge_pages 2>/dev/null || echo 0)"
  if [ "${want:-0}" -gt "$now" ] 2>/dev/null; then echo "$want" 2>/dev/null > /proc/sys/vm/nr_hugepages || true; fi
}

# canon_pg_hugepages_restore COUNT: as root, puts back the machine's huge page count (after the cluster stopped).
canon_pg_hugepages_restore() {
  [ "$(id -u)" -eq 0 ] || return 0
  echo "$1" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
}

canon_pg_stop() {
  local dir="$1" bin; bin="$(canon_pg_bin)"
  [ -f "$dir/postmaster.pid" ] && canon_as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
}
