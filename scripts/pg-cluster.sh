#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (Debian's postgresql package).
#   scripts/pg-cluster.sh start DIR   initdb + start in DIR, loopback only; prints the admin URL on stdout
#   scripts/pg-cluster.sh stop DIR    stop it and remove DIR (a missing DIR is fine)
# Everything but the URL goes to stderr. Runs as root (the server runs as `postgres`) or as any user.
set -euo pipefail
exec 3>&1 1>&2 # fd 3: the URL; everything else to stderr

die() { echo "pg-cluster: $*" >&2; exit 1; }
[ $# -eq 2 ] && [ -n "$2" ] || die "usage: $0 start|stop DIR"
cmd=$1 dir=$(realpath -m -- "$2")
[ "$dir" != / ] || die "refusing DIR=/"
marker=$dir/.pg-cluster
cd / # the postgres user may not be able to enter the caller's directory

# Commands of the cluster run as its owner: `postgres` under root (the server refuses root).
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_bin() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$v" ] || [ ! -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
    echo "pg-cluster: installing Debian's postgresql" >&2 # stdout here is the caller's $(pg_bin)
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; } >&2 \
      || die "could not install postgresql"
    v=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  fi
  echo "/usr/lib/postgresql/$v/bin"
}

port_free() { ! (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case $cmd in
start)
  bin=$(pg_bin)
  mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  touch "$marker"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  as_pg test -w "$dir" || die "$dir (or a parent) is not accessible to the postgres user"
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/pwfile"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$dir/pwfile"
  for _ in 1 2 3 4 5; do # a port found free may be taken before the server binds it: retry with another
    port=$(shuf -i 15432-29999 -n 1)
    port_free "$port" || continue
    if as_pg "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "-c listen_addresses=127.0.0.1 -p $port \
        -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200" >/dev/null 3>&-; then # 3>&-: the server must not hold the URL pipe open
      for _ in $(seq 50); do # pg_ctl -w waited already; this checks the TCP listener itself (max 10 s)
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
          echo "postgres://postgres:$password@127.0.0.1:$port/postgres" >&3
          exit 0
        fi
        sleep 0.2
      done
      as_pg "$bin/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null || true
    fi
    tail -n 5 "$dir/server.log" 2>/dev/null || true
  done
  die "could not start PostgreSQL in $dir (log: $dir/server.log)"
  ;;
stop)
  [ -e "$dir" ] || exit 0
  # An empty DIR (a start that failed early) just goes; anything else must be one of ours.
  [ -e "$marker" ] || rmdir -- "$dir" 2>/dev/null || die "$dir was not made by $0; not removing it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$(pg_bin)/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null || echo "pg-cluster: pg_ctl stop failed"
  fi
  rm -rf -- "$dir"
  ;;
*) die "usage: $0 start|stop DIR" ;;
esac
