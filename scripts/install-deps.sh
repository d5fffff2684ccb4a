#!/usr/bin/env bash
# Installs the Debian 12 packages kt needs to build, test and run its development stack (Java 17
# and Maven fetch and run the real Kafka and OpenSearch).
# Idempotent and quick when everything is already there (no apt-get call at all then).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git curl ca-certificates procps
  librdkafka-dev libpqxx-dev nlohmann-json3-dev libyaml-cpp-dev libcurl4-openssl-dev
  libcpp-httplib-dev libcli11-dev libfmt-dev libspdlog-dev libsimdjson-dev libzstd-dev
  zlib1g-dev libssl-dev libpg-query-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15
  openjdk-17-jdk-headless maven  # real Kafka and OpenSearch for the dev stack (scripts/engines.sh)
  chromium
  openssl
  dpkg-dev  # scripts/package.sh: dpkg-shlibdeps computes the Debian package's Depends
  clang libclang-rt-14-dev  # libFuzzer targets (-DKT_FUZZ=ON)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: missing packages (${missing[*]}); run as root or install sudo" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
