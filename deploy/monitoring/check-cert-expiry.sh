#!/usr/bin/env bash
# Nagios/Icinga-style certificate expiry check.
#
#   check-cert-expiry.sh -H host [-p 443] [-w 14] [-c 7]     probe a live TLS endpoint (SNI = host)
#   check-cert-expiry.sh -f /etc/letsencrypt/live/x/cert.pem [-w 14] [-c 7]   check a certificate file
#
# Exit codes: 0 OK, 1 WARNING (expires within -w days), 2 CRITICAL (within -c days or already expired),
# 3 UNKNOWN (cannot connect, cannot parse, bad arguments). One status line on stdout, with perfdata.
set -uo pipefail

host='' port=443 file='' warn=14 crit=7 timeout=10

usage() {
  echo "UNKNOWN - usage: $0 (-H host [-p port] | -f cert.pem) [-w warn_days] [-c crit_days] [-t timeout_s]"
  exit 3
}

while getopts ':H:p:f:w:c:t:h' opt; do
  case "$opt" in
    H) host=$OPTARG ;;
    p) port=$OPTARG ;;
    f) file=$OPTARG ;;
    w) warn=$OPTARG ;;
    c) crit=$OPTARG ;;
    t) timeout=$OPTARG ;;
    *) usage ;;
  esac
done
[[ -n $host || -n $file ]] || usage
[[ -z $host || -z $file ]] || usage
for n in "$port" "$warn" "$crit" "$timeout"; do [[ $n =~ ^[0-9]+$ ]] || usage; done
command -v openssl >/dev/null || { echo 'UNKNOWN - openssl not found'; exit 3; }

if [[ -n $file ]]; then
  label=$file
  [[ -r $file ]] || { echo "UNKNOWN - cannot read $file"; exit 3; }
  pem=$(cat -- "$file")
else
  label="$host:$port"
  pem=$(timeout "$timeout" openssl s_client -connect "$host:$port" -servername "$host" </dev/null 2>/dev/null |
    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p')
  [[ -n $pem ]] || { echo "UNKNOWN - no certificate from $label (connection or handshake failed)"; exit 3; }
fi

end=$(printf '%s\n' "$pem" | openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2-)
[[ -n $end ]] || { echo "UNKNOWN - cannot parse the certificate of $label"; exit 3; }
end_epoch=$(date -u -d "$end" +%s 2>/dev/null) || { echo "UNKNOWN - cannot read date '$end'"; exit 3; }
now=$(date -u +%s)
seconds=$((end_epoch - now))
days=$((seconds / 86400))
subject=$(printf '%s\n' "$pem" | openssl x509 -noout -subject 2>/dev/null | sed 's/^subject= *//')
perf="days_left=${days};${warn};${crit};;"

if ((seconds <= 0)); then
  echo "CRITICAL - certificate of $label ($subject) expired on $end | $perf"
  exit 2
elif ((days < crit)); then
  echo "CRITICAL - certificate of $label ($subject) expires in $days days ($end) | $perf"
  exit 2
elif ((days < warn)); then
  echo "WARNING - certificate of $label ($subject) expires in $days days ($end) | $perf"
  exit 1
fi
echo "OK - certificate of $label ($subject) expires in $days days ($end) | $perf"
exit 0
