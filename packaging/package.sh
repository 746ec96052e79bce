#!/bin/sh
# Builds the pgfleet packages from the shaded jars: for the agent and the server each, a .deb, a
# tarball and (where rpmbuild exists) an .rpm, every one carrying its own jlink'd Java runtime so
# that a host needs no JDK. Called by `./pgfleet package`; the package tests call it too.
#
#   packaging/package.sh --jdk DIR --version MAVEN_VERSION --out DIR
#                        [--agent-jar JAR] [--server-jar JAR] [--only agent|server]
#                        [--package-version V] [--cache DIR] [--formats deb,tar,rpm]
#                        [--compression xz|gzip|none]
#
# The .deb is xz-compressed for the agent (smallest download) and gzip-compressed for the server
# (its jar holds already-compressed PostgreSQL binaries: xz would take minutes for a few per cent);
# --compression (xz, gzip or none) sets both (the tests use none, for speed).
#
# The runtime holds only the modules jdeps finds in the jar (minus the ones listed in
# modules_not_needed below, with the reason), built with --strip-debug --no-man-pages
# --no-header-files and, for the server, --compress=zip-6 (see jlink_compress). jdeps and jlink take tens of seconds each, so both results
# are cached under --cache, keyed by the jar's and the JDK's fingerprints.
set -eu

HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
ROOT=$(dirname "$HERE")

die() { echo "package: $*" >&2; exit 1; }
say() { echo "package: $*" >&2; }

JDK="" VERSION="" OUT="" ONLY="" PKG_VERSION="" CACHE="" FORMATS="deb,tar,rpm" COMPRESSION=""
AGENT_JAR="$ROOT/modules/agent/target/pgfleet-agent.jar"
SERVER_JAR="$ROOT/modules/server/target/pgfleet-server.jar"
while [ $# -gt 0 ]; do
    case "$1" in
        --jdk) JDK=$2; shift 2 ;;
        --version) VERSION=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --agent-jar) AGENT_JAR=$2; shift 2 ;;
        --server-jar) SERVER_JAR=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --package-version) PKG_VERSION=$2; shift 2 ;;
        --cache) CACHE=$2; shift 2 ;;
        --formats) FORMATS=$2; shift 2 ;;
        --compression) COMPRESSION=$2; shift 2 ;;
        *) die "unknown argument '$1'" ;;
    esac
done
[ -n "$JDK" ] || die "--jdk DIR is required (a JDK >= 21 with jlink and jdeps)"
[ -x "$JDK/bin/jlink" ] && [ -x "$JDK/bin/jdeps" ] || die "$JDK has no bin/jlink or bin/jdeps"
[ -n "$VERSION" ] || die "--version is required (the Maven project version)"
[ -n "$OUT" ] || die "--out DIR is required"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is missing (Debian/Ubuntu: apt-get install dpkg-dev)"
mkdir -p "$OUT"
OUT=$(CDPATH= cd -- "$OUT" && pwd)
CACHE=${CACHE:-$OUT/.cache}
mkdir -p "$CACHE"

# Package version: Debian and RPM order "~" before anything, so 0.1.0~SNAPSHOT < 0.1.0 (a "-" would
# start a Debian revision and is not allowed in an RPM version).
debian_version() { printf '%s' "$1" | sed 's/-/~/g'; }
PKG_VERSION=${PKG_VERSION:-$(debian_version "$VERSION")}
case "$PKG_VERSION" in
    [0-9]*) ;;
    *) die "package version '$PKG_VERSION' must start with a digit" ;;
esac
# File names of tarballs keep the Maven spelling.
TAR_VERSION=$(printf '%s' "$PKG_VERSION" | sed 's/~/-/g')

ROOT_RUN=""
if [ "$(id -u)" != 0 ]; then
    command -v fakeroot >/dev/null 2>&1 || die "fakeroot is missing (needed to build as a non-root user)"
    ROOT_RUN=fakeroot
fi

fingerprint() { sha256sum "$@" | sha256sum | cut -c1-16; }

# Modules jdeps reports that a product never loads. java.desktop: only pgjdbc's geometric types
# (org.postgresql.geometric, java.awt.Point helpers) reference it and the agent reads no geometric
# column; it would add ~10 MB. The server keeps it: commons-lang3 and micrometer reach java.beans.
modules_not_needed() {
    case "$1" in
        agent) echo "java.desktop" ;;
        server) echo "" ;;
    esac
}
# Modules loaded by name at run time, which jdeps cannot see: the EC provider for TLS (part of
# java.base from JDK 22, a module of its own before) and the zip file system used by Helidon; for
# the server also jdk.security.auth, whose UnixSystem the embedded PostgreSQL library reaches by
# reflection to learn whether it runs as root (initdb refuses root: it then uses unshare).
modules_extra() {
    extra="jdk.crypto.ec jdk.zipfs"
    [ "$1" = server ] && extra="$extra jdk.security.auth"
    for m in $extra; do
        if "$JDK/bin/java" --list-modules 2>/dev/null | grep -q "^$m@"; then printf ',%s' "$m"; fi
    done
}

modules_for() { # product jar
    key=$( { sha256sum "$2" "$JDK/release"; modules_extra "$1"; modules_not_needed "$1"; } | sha256sum | cut -c1-16)
    cached="$CACHE/modules-$1-$key"
    if [ ! -s "$cached" ]; then
        say "jdeps $2"
        deps=$("$JDK/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 21 "$2") \
            || die "jdeps failed on $2"
        for drop in $(modules_not_needed "$1"); do
            deps=$(printf '%s' "$deps" | tr ',' '\n' | grep -vx "$drop" | paste -sd, -)
        done
        printf '%s%s\n' "$deps" "$(modules_extra "$1")" > "$cached.tmp" && mv "$cached.tmp" "$cached"
    fi
    cat "$cached"
}

# How jlink compresses the runtime's class image (lib/modules). The agent's is not compressed at all
# (no --compress option): a zip-6 image took 10 MB more of the agent's resident set, and even
# --compress=zip-0 (resources wrapped as "stored") 20 MB more, than a plain image (68.5 and 78.8 vs
# 59.0 MiB, docs/benchmarks.md); its packages are compressed as a whole anyway. The server keeps zip-6.
jlink_compress() {
    case "$1" in
        agent) echo "" ;;
        server) echo "--compress=zip-6" ;;
    esac
}

runtime_for() { # product jar -> prints the cached runtime directory
    mods=$(modules_for "$1" "$2")
    key=$(printf '%s %s %s' "$mods" "plain$(jlink_compress "$1")" "$(fingerprint "$JDK/release")" | sha256sum | cut -c1-16)
    rt="$CACHE/runtime-$1-$key"
    if [ ! -x "$rt/bin/java" ]; then
        say "jlink $1 runtime: $mods"
        rm -rf "$rt" "$rt.tmp"
        "$JDK/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files \
            $(jlink_compress "$1") --output "$rt.tmp" >&2 || die "jlink failed"
        mv "$rt.tmp" "$rt"
    fi
    echo "$rt"
}

# The product's tree, relative to its installation prefix: bin/<command>, lib/<jar>, runtime/.
stage_home() { # product jar dir
    mkdir -p "$3/bin" "$3/lib"
    cp -R "$(runtime_for "$1" "$2")" "$3/runtime"
    cp "$2" "$3/lib/pgfleet-$1.jar"
    # The JVM options the command runs with (java @file), where the product has its own list.
    if [ -f "$ROOT/deploy/pgfleet-$1.jvm.options" ]; then
        install -m 0644 "$ROOT/deploy/pgfleet-$1.jvm.options" "$3/lib/jvm.options"
    fi
    sed "s/@VERSION@/$PKG_VERSION/g" "$HERE/bin/pgfleet-$1" > "$3/bin/pgfleet-$1"
    chmod 0755 "$3/bin/pgfleet-$1"
    printf '%s\n' "$PKG_VERSION" > "$3/VERSION"
}

build_deb() { # product jar
    name=pgfleet-$1
    work="$OUT/.work/$name-deb"
    rm -rf "$work" && mkdir -p "$work/DEBIAN"
    stage_home "$1" "$2" "$work/usr/lib/$name"
    mkdir -p "$work/usr/bin" "$work/usr/lib/systemd/system" "$work/etc/pgfleet/secrets" "$work/usr/share/doc/$name"
    ln -s "../lib/$name/bin/$name" "$work/usr/bin/$name"
    install -m 0644 "$ROOT/deploy/$name.service" "$work/usr/lib/systemd/system/$name.service"
    install -m 0640 "$ROOT/deploy/$1.toml.example" "$work/etc/pgfleet/$1.toml"
    install -m 0644 "$ROOT/deploy/$1.toml.example" "$work/usr/share/doc/$name/$1.toml.example"
    chmod 0755 "$work/etc/pgfleet"
    chmod 0750 "$work/etc/pgfleet/secrets"
    size=$(du -sk "$work" | cut -f1)
    sed -e "s/@NAME@/$name/g" -e "s/@VERSION@/$PKG_VERSION/g" -e "s/@SIZE@/$size/g" \
        "$HERE/debian/$1.control" > "$work/DEBIAN/control"
    printf '/etc/pgfleet/%s.toml\n' "$1" > "$work/DEBIAN/conffiles"
    for script in postinst prerm postrm; do
        sed -e "s/@NAME@/$name/g" -e "s/@PRODUCT@/$1/g" "$HERE/debian/$script" > "$work/DEBIAN/$script"
        chmod 0755 "$work/DEBIAN/$script"
    done
    deb="$OUT/${name}_${PKG_VERSION}_amd64.deb"
    z=$COMPRESSION
    [ -n "$z" ] || { [ "$1" = agent ] && z=xz || z=gzip; }
    $ROOT_RUN sh -c "chown -R 0:0 '$work' && dpkg-deb --root-owner-group -Z$z -b '$work' '$deb'" >/dev/null \
        || die "dpkg-deb failed for $name"
    say "built $deb ($(du -h "$deb" | cut -f1))"
}

build_tarball() { # product jar
    name=pgfleet-$1
    top="$name-$TAR_VERSION-linux-x64"
    work="$OUT/.work/$name-tar"
    rm -rf "$work" && mkdir -p "$work/$top/share"
    stage_home "$1" "$2" "$work/$top"
    install -m 0644 "$ROOT/deploy/$name.service" "$work/$top/share/$name.service"
    install -m 0644 "$ROOT/deploy/$1.toml.example" "$work/$top/share/$1.toml.example"
    tgz="$OUT/$top.tar.gz"
    tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$tgz" "$top"
    say "built $tgz ($(du -h "$tgz" | cut -f1))"
}

build_rpm() { # product jar
    name=pgfleet-$1
    if ! command -v rpmbuild >/dev/null 2>&1; then
        say "rpmbuild not found: no .rpm for $name (install Debian's 'rpm' package to build one)"
        return 0
    fi
    work="$OUT/.work/$name-rpm"
    rm -rf "$work" && mkdir -p "$work/root" "$work/rpmbuild"
    # The .deb's tree is the RPM's payload: the same files, the same maintainer scripts.
    cp -a "$OUT/.work/$name-deb/." "$work/root/"
    rm -rf "$work/root/DEBIAN"
    sed -e "s/@NAME@/$name/g" -e "s/@PRODUCT@/$1/g" -e "s/@VERSION@/$PKG_VERSION/g" \
        -e "/@POSTINST@/r $OUT/.work/$name-deb/DEBIAN/postinst" -e "/@POSTINST@/d" \
        -e "/@PRERM@/r $OUT/.work/$name-deb/DEBIAN/prerm" -e "/@PRERM@/d" \
        -e "/@POSTRM@/r $OUT/.work/$name-deb/DEBIAN/postrm" -e "/@POSTRM@/d" \
        "$HERE/rpm/pgfleet.spec" > "$work/$name.spec"
    rpmbuild -bb --quiet --define "_topdir $work/rpmbuild" --define "_build_id_links none" \
        --buildroot "$work/root" "$work/$name.spec" >&2 || die "rpmbuild failed for $name"
    find "$work/rpmbuild/RPMS" -name '*.rpm' -exec cp {} "$OUT/" \;
    say "built the .rpm of $name in $OUT"
}

for product in agent server; do
    [ -z "$ONLY" ] || [ "$ONLY" = "$product" ] || continue
    if [ "$product" = agent ]; then jar=$AGENT_JAR; else jar=$SERVER_JAR; fi
    [ -f "$jar" ] || die "$jar is missing: build the jars first (./mvnw -DskipTests package)"
    wants() { case ",$FORMATS," in *",$1,"*) return 0 ;; esac; return 1; }
    # The .rpm is made from the .deb's tree.
    if wants deb || wants rpm; then build_deb "$product" "$jar"; fi
    if wants tar; then build_tarball "$product" "$jar"; fi
    if wants rpm; then build_rpm "$product" "$jar"; fi
done
rm -rf "$OUT/.work"
