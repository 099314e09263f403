#!/usr/bin/env bash
# The README's main job: starts tsdockerd on /run/tsdocker.sock (unless one
# already answers there), imports busybox:latest made from Debian's
# busybox-static (no registry is reachable), runs `tsdocker run --rm busybox echo hello`, and drives the daemon with
# tsdocker and, when present, the real docker CLI. Leaves the daemon running; stop it with: kill "$(cat /run/tsdockerd.pid)".
set -euo pipefail
cd "$(dirname "$0")/.."
sock=/run/tsdocker.sock
if ! bin/tsdocker -H "unix://$sock" version >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup bin/tsdockerd >>/var/log/tsdockerd.log 2>&1 &
  for _ in $(seq 1 100); do
    bin/tsdocker -H "unix://$sock" version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
export DOCKER_HOST="unix://$sock"
[ -x /bin/busybox ] || apt-get install -y -qq busybox-static >/dev/null
if ! bin/tsdocker image inspect busybox:latest >/dev/null 2>&1; then
  bin/tsdocker import -c 'CMD ["sh"]' "$(node dist/busybox-rootfs.js)" busybox:latest
fi
bin/tsdocker version
bin/tsdocker images
bin/tsdocker run --rm busybox echo hello
bin/tsdocker system df
if command -v docker >/dev/null; then docker info --format 'docker CLI sees: {{.ServerVersion}} on {{.OperatingSystem}}, data root {{.DockerRootDir}}'; fi
