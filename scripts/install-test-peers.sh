#!/usr/bin/env bash
# Installs the Debian packages the test peers need (test/support/peers.ts keeps the same
# lists; test/support/peers.test.ts checks they agree). Without them those tests skip, and
# with SHARPEYES_REQUIRE_PEERS=1 (CI) they fail.
#
#   sudo scripts/install-test-peers.sh                    every peer
#   sudo scripts/install-test-peers.sh gstreamer chromium  only these
#
# Idempotent: packages already installed (dpkg -s) are left alone; with nothing to install
# it needs neither root nor the network.
#
# Debian's prometheus package starts its own server (:9090) when it is installed — by its
# systemd unit, or by /etc/init.d/prometheus where there is no systemd, unless
# /usr/sbin/policy-rc.d forbids starting services (container images usually do). When this
# script installed prometheus it stops that instance again, and only that one: the systemd
# unit, else the init script's own pidfile + executable + user (start-stop-daemon), never a
# process picked by name. The tests start their own Prometheus on a free port either way.
set -euo pipefail

declare -A PEER_PACKAGES=(
  [gstreamer]='gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly python3-gi'
  [chromium]='chromium fonts-wqy-microhei'
  [prometheus]='prometheus'
  [docker-compose]='docker-compose'
  [python3]='python3'
  [openssl]='openssl'
  [rtsp-server-perl]='librtsp-server-perl'
)
ALL_PEERS=(gstreamer chromium prometheus docker-compose python3 openssl rtsp-server-perl)

peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=("${ALL_PEERS[@]}")

wanted=()
for peer in "${peers[@]}"; do
  if [ -z "${PEER_PACKAGES[$peer]+set}" ]; then
    printf 'install-test-peers: unknown peer %s (known: %s)\n' "$peer" "${ALL_PEERS[*]}" >&2
    exit 2
  fi
  read -r -a pkgs <<<"${PEER_PACKAGES[$peer]}"
  wanted+=("${pkgs[@]}")
done

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  printf 'install-test-peers: needs Debian (dpkg, apt-get); install these packages another way: %s\n' "${wanted[*]}" >&2
  exit 1
fi

missing=()
for p in "${wanted[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  printf 'install-test-peers: all installed (%s)\n' "${wanted[*]}"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  printf 'install-test-peers: to install %s, run as root: sudo %s %s\n' "${missing[*]}" "$0" "$*" >&2
  exit 1
fi

printf 'install-test-peers: installing %s\n' "${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Stop the server Debian's prometheus package started on installing, and nothing else.
stop_packaged_prometheus() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    # booted with systemd: the package's unit is prometheus.service
    systemctl stop prometheus.service || true
    return
  fi
  command -v start-stop-daemon >/dev/null 2>&1 || return 0
  # no systemd: /etc/init.d/prometheus started it with start-stop-daemon as user prometheus,
  # pidfile /run/prometheus/prometheus.pid; stop it the way that script does
  local pidfile=/run/prometheus/prometheus.pid
  if [ -f "$pidfile" ]; then
    start-stop-daemon --stop --quiet --oknodo --retry=TERM/30/KILL/5 --exec /usr/bin/prometheus --pidfile "$pidfile" --user prometheus --remove-pidfile || true
  fi
  # no pidfile: a server still running /usr/bin/prometheus as the package's system user
  # `prometheus` is the package's too (the tests' own instances run as the test user)
  if id prometheus >/dev/null 2>&1; then
    start-stop-daemon --stop --quiet --oknodo --retry=TERM/30/KILL/5 --exec /usr/bin/prometheus --user prometheus || true
  fi
}

for p in "${missing[@]}"; do
  if [ "$p" = prometheus ]; then
    stop_packaged_prometheus
    break
  fi
done

printf 'install-test-peers: done\n'
