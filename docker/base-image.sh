#!/usr/bin/env bash
# Builds logwire-base:17, a small Java 17 runtime image, without any registry: a jlink'd runtime
# of the local JDK plus the shared libraries it loads (and those Netty's native epoll transport and
# BoringSSL need), a minimal /etc/passwd with the logwire user 10001, imported with `docker import`.
# Use it as the Dockerfile's base where Docker Hub (eclipse-temurin) is out of reach:
#   docker build --pull=false --build-arg BASE_IMAGE=logwire-base:17 -f docker/Dockerfile -t logwire .
# Idempotent: does nothing when the image exists (FORCE=1 rebuilds it).
# Environment: DOCKER (client, default /usr/bin/docker if present), JAVA_HOME_17 (the JDK to jlink),
# BASE_IMAGE_TAG (default logwire-base:17).
set -euo pipefail

docker="${DOCKER:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker )}"
tag="${BASE_IMAGE_TAG:-logwire-base:17}"
jdk="${JAVA_HOME_17:-/usr/lib/jvm/java-17-openjdk-amd64}"
# What the server and the CLI need: jdeps --print-module-deps --multi-release 17 on the shaded jars
# (java.desktop, java.naming, java.sql, jdk.jfr, jdk.unsupported) plus what is only loaded by name at
# run time: jdk.crypto.ec (EC keys, TLS key exchange), java.logging and java.management (logback,
# JMX beans), jdk.management (process CPU and open file descriptors for the metrics endpoint),
# java.xml, jdk.zipfs, jdk.localedata.
modules="java.base,java.logging,java.management,jdk.management,java.naming,java.xml,java.desktop,java.sql,jdk.jfr,jdk.crypto.ec,jdk.unsupported,jdk.zipfs,jdk.localedata"

say() { echo "base-image: $*" >&2; }

# An image built from another module list (an older version of this script) is rebuilt.
built_modules="$("$docker" image inspect -f '{{index .Config.Labels "io.logwire.modules"}}' "$tag" 2>/dev/null || true)"
if [ "${FORCE:-0}" != 1 ] && [ "$built_modules" = "$modules" ]; then
  say "$tag exists ($("$docker" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')); FORCE=1 rebuilds it"
  exit 0
fi
[ -x "$jdk/bin/jlink" ] || { say "no JDK 17 with jlink at $jdk (set JAVA_HOME_17)"; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
java_home=/opt/java/openjdk
mkdir -p "$root/opt/java" "$root/etc" "$root/tmp"

say "jlink $jdk ($modules)"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --include-locales=en --output "$root$java_home"
# The default class-data-sharing archive (jlink leaves it out): every JVM start, the server's and
# each health check's, maps the JDK classes instead of loading them (about 13 MB, a second saved).
"$root$java_home/bin/java" -Xshare:dump >/dev/null

# Shared libraries: whatever the runtime's binaries link, plus what Netty's native libraries
# (extracted to /tmp at run time, so ldd cannot see them here) and glibc's dlopen need.
libs="$(find "$root$java_home" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} \; 2>/dev/null \
  | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u)"
for name in libdl.so.2 libpthread.so.0 librt.so.1 libm.so.6 libc.so.6 libz.so.1 libgcc_s.so.1; do
  path="$(ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ {print $NF; exit}')"
  [ -n "$path" ] && libs="$libs"$'\n'"$path"
done
for lib in $(echo "$libs" | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# The loader looks in /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu; Debian 12 resolves
# ldd paths through the merged /usr, so make both names lead to the copies.
if [ -d "$root/usr/lib/x86_64-linux-gnu" ] && [ ! -e "$root/lib/x86_64-linux-gnu" ]; then
  mkdir -p "$root/lib" && ln -s ../usr/lib/x86_64-linux-gnu "$root/lib/x86_64-linux-gnu"
elif [ -d "$root/lib/x86_64-linux-gnu" ] && [ ! -e "$root/usr/lib/x86_64-linux-gnu" ]; then
  mkdir -p "$root/usr/lib" && ln -s ../../lib/x86_64-linux-gnu "$root/usr/lib/x86_64-linux-gnu"
fi

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
logwire:x:10001:10001:logwire:/data:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
logwire:x:10001:
nogroup:x:65534:
GROUP
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"

say "importing $tag"
tar --numeric-owner --owner=0 --group=0 -C "$root" -c . | "$docker" import \
  -c "ENV JAVA_HOME=$java_home" \
  -c "ENV PATH=$java_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  -c "ENV LANG=C.UTF-8" \
  -c 'LABEL org.opencontainers.image.description="jlink Java 17 runtime for logwire (docker/base-image.sh)"' \
  -c "LABEL io.logwire.modules=$modules" \
  -m "docker/base-image.sh: jlink of $("$jdk/bin/java" -version 2>&1 | head -1)" \
  - "$tag" >/dev/null
say "built $tag ($("$docker" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
