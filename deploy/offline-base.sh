#!/usr/bin/env bash
# Fachkräfte-Cockpit: builds a local stand-in for the base image python:3.11-slim from a Debian mirror alone.
#
# For machines that cannot reach Docker Hub, e.g. an air-gapped ministry network with a Debian mirror (and a PyPI
# mirror or proxy for the `pip install` in deploy/Containerfile). The result is Debian bookworm (minbase) with
# Debian's Python 3.11 in a virtual environment at /usr/local/python whose bin/ comes first on PATH, so `python` and
# `pip` behave as in the official image and deploy/Containerfile builds on it unchanged:
#
#   sudo deploy/offline-base.sh                                   # -> localhost/python311-bookworm
#   podman build --format docker -f deploy/Containerfile --build-arg BASE_IMAGE=localhost/python311-bookworm \
#       -t fachkraefte-cockpit .
#
# With a site's mirrors, e.g.:
#   sudo env MIRROR=http://debian.intern/debian SECURITY_MIRROR= PIP_INDEX_URL=https://pypi.intern/simple \
#       EXTRA_CA_CERTS=/usr/local/share/ca-certificates/intern-ca.crt deploy/offline-base.sh
#
# Needs root, debootstrap and debian-archive-keyring (apt-get install debootstrap podman), network to the mirror and
# about 450 MB under $TMPDIR (default /var/tmp) for the root file system, removed at the end.
# Settings (environment variables, defaults in brackets):
#   MIRROR           Debian mirror [http://deb.debian.org/debian]
#   SECURITY_MIRROR  Debian security mirror [http://deb.debian.org/debian-security]; empty: no security suite
#   PIP_INDEX_URL    package index that pip in the image (and so the Containerfile's `pip install`) uses [PyPI]
#   EXTRA_CA_CERTS   space-separated PEM files (a site's TLS-inspecting proxy, an internal index) added to the
#                    image's trust store, which pip reads
#   IMAGE            name of the image made [localhost/python311-bookworm]
#   ENGINE           podman or docker [podman]; docker build needs no --format docker
set -euo pipefail

MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR-http://deb.debian.org/debian-security}
IMAGE=${IMAGE:-localhost/python311-bookworm}
ENGINE=${ENGINE:-podman}
EXTRA_CA_CERTS=${EXTRA_CA_CERTS:-}
PIP_INDEX_URL=${PIP_INDEX_URL:-}
SUITE=bookworm
# What python:3.11-slim has besides Python: CA certificates, /etc/services and friends, time zones.
PACKAGES="python3 python3-venv ca-certificates netbase tzdata"
VENV=/usr/local/python

if [ "$(id -u)" -ne 0 ]; then
    echo "offline-base.sh: needs root (debootstrap and chroot)" >&2
    exit 1
fi
for tool in debootstrap chroot "$ENGINE"; do
    command -v "$tool" >/dev/null || { echo "offline-base.sh: $tool not found" >&2; exit 1; }
done
for cert in $EXTRA_CA_CERTS; do
    [ -r "$cert" ] || { echo "offline-base.sh: CA certificate $cert not readable" >&2; exit 1; }
done

# Always a fresh directory: the cleanup removes it.
WORK_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/offline-base.XXXXXX")
ROOTFS=$WORK_DIR/rootfs
cleanup() {
    # Unmount before removing: rm must never walk into the host's /proc.
    if mountpoint -q "$ROOTFS/proc"; then umount "$ROOTFS/proc"; fi
    rm -rf --one-file-system "$WORK_DIR"
}
trap cleanup EXIT

echo "== debootstrap $SUITE (minbase) from $MIRROR into $ROOTFS"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR"

# Leave documentation, manual pages and translations out of everything installed from here on, as Debian's own
# container images do; copyright files stay.
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
# Only the packages named below and their dependencies, never recommendations, as in the official slim images.
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$ROOTFS/etc/apt/apt.conf.d/90no-recommends"

rm -f "$ROOTFS/etc/apt/sources.list"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$MIRROR" "$SUITE" "$SUITE"
    if [ -n "$SECURITY_MIRROR" ]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$SECURITY_MIRROR" "$SUITE"
    fi
} >"$ROOTFS/etc/apt/sources.list.d/debian.sources"

for cert in $EXTRA_CA_CERTS; do
    install -D -m 0644 "$cert" "$ROOTFS/usr/local/share/ca-certificates/$(basename "${cert%.*}").crt"
done

cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
echo "== updates, $PACKAGES, venv at $VENV"
chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    /bin/sh -eu -c "
        apt-get update -q
        apt-get -y -q upgrade
        apt-get -y -q install $PACKAGES
        update-ca-certificates
        python3 -m venv $VENV
        $VENV/bin/python --version
        $VENV/bin/pip --version
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt/* /var/log/dpkg.log
        find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
        find /usr/share/man /usr/share/info /usr/share/locale -mindepth 1 -not -name locale.alias -delete 2>/dev/null || true
    "
umount "$ROOTFS/proc"
# The container engine mounts its own resolv.conf; the build machine's must not stay in the image.
: >"$ROOTFS/etc/resolv.conf"

echo "== import as $IMAGE"
# The environment of python:3.11-slim, with the venv's bin/ in front: `python`, `pip` and the console scripts that
# `pip install` adds land there. PIP_CERT: Debian's pip reads the system trust store (with any EXTRA_CA_CERTS)
# already; the variable keeps it so after a `pip install --upgrade pip`, whose pip would use its own bundle instead.
changes=(
    --change "ENV PATH=$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    --change "ENV LANG=C.UTF-8"
    --change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt"
    --change 'CMD ["python3"]'
)
if [ -n "$PIP_INDEX_URL" ]; then
    changes+=(--change "ENV PIP_INDEX_URL=$PIP_INDEX_URL")
fi
tar -C "$ROOTFS" --numeric-owner -cf - . | "$ENGINE" import "${changes[@]}" \
    --message "Debian $SUITE minbase + Python 3.11 venv at $VENV (deploy/offline-base.sh)" \
    - "$IMAGE"
"$ENGINE" run --rm "$IMAGE" python -c 'import ssl, sys, venv; print(sys.version.split()[0], sys.prefix)'
"$ENGINE" image ls "$IMAGE"
