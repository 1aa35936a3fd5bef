#!/usr/bin/env bash
# One entry point for people and CI. Installs what the project needs (apt packages when it
# runs as root, or says what to install), then builds, runs, tests or benchmarks.
#
#   ./build.sh run     run the coordinator on its embedded defaults (http://127.0.0.1:5080)
#   ./build.sh test    build and run every test suite; ends with "tests: N passed, M failed"
#   ./build.sh lint    check formatting and a warning-free build
#   ./build.sh bench   run the benchmarks in Release and print the README's table
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# apt packages the project needs at run or test time (more arrive with Kafka and the console).
APT_PACKAGES=()
TEST_APT_PACKAGES=(postgresql)

ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET SDK 10 is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 1
  fi
}

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}" "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${missing[*]}. Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

cmd_run() {
  ensure_dotnet
  ensure_apt_packages
  mkdir -p data
  # The embedded journal lives in <repo>/data unless configured otherwise.
  export Coordinator__Journal__SqlitePath="${Coordinator__Journal__SqlitePath:-$PWD/data/coordinator.db}"
  # The sample workflows name the topics the ingress consumes; the operator API's token file sits beside the journal.
  export Coordinator__Ingress__WorkflowsPath="${Coordinator__Ingress__WorkflowsPath:-$PWD/workflows}"
  export Coordinator__Admin__TokenFile="${Coordinator__Admin__TokenFile:-$PWD/data/admin-token}"
  exec dotnet run --project src/Coordinator.Host -c Release
}

cmd_lint() {
  ensure_dotnet
  dotnet build Coordinator.sln -c Release -warnaserror -nologo -v q -clp:NoSummary
  dotnet format Coordinator.sln --verify-no-changes --no-restore
  echo "lint: build warning-free, formatting clean"
}

cmd_test() {
  ensure_dotnet
  ensure_apt_packages "${TEST_APT_PACKAGES[@]}"
  local log status=0
  log=$(mktemp)
  # The persistence tests run against a real PostgreSQL: a private cluster on loopback.
  if [ -z "${COORDINATOR_TEST_POSTGRES:-}" ]; then
    COORDINATOR_TEST_POSTGRES=$(./eng/postgres.sh start | tail -n 1)
    export COORDINATOR_TEST_POSTGRES
  fi
  dotnet build Coordinator.sln -c Release -nologo -v q -clp:NoSummary
  # Every workflow definition must validate (file:line:column errors) before any test runs.
  dotnet src/Coordinator.Cli/bin/Release/net10.0/Coordinator.Cli.dll workflows validate workflows/
  # One test assembly at a time keeps a 2-core machine responsive; xunit parallelises inside each.
  dotnet test Coordinator.sln -c Release --no-build -- RunConfiguration.MaxCpuCount=1 2>&1 | tee "$log" || status=$?
  summarize "$log" "$status"
}

# Sums the per-assembly result lines ("Passed!  - Failed: 0, Passed: 116, Skipped: 0, ...")
# into the one line CI reads.
summarize() {
  local log=$1 status=$2 passed=0 failed=0 skipped=0 assemblies=0 line
  while IFS= read -r line; do
    assemblies=$((assemblies + 1))
    failed=$((failed + $(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")))
    passed=$((passed + $(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")))
    skipped=$((skipped + $(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")))
  done < <(grep -E '^(Passed|Failed)! +- +Failed: ' "$log")
  rm -f "$log"
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The runner failed without a failing test (a crash or a build error): count it as a failure.
    failed=1
  fi
  echo "test assemblies: $assemblies"
  if [ "$skipped" -gt 0 ]; then
    echo "tests: $passed passed, $failed failed, $skipped skipped"
  else
    echo "tests: $passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
}

cmd_bench() {
  ensure_dotnet
  ensure_apt_packages "${TEST_APT_PACKAGES[@]}"
  dotnet run --project tests/Coordinator.Benchmarks -c Release -- "$@"
}

case "${1:-}" in
  run) shift; cmd_run "$@" ;;
  test) shift; cmd_test "$@" ;;
  lint) shift; cmd_lint "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
