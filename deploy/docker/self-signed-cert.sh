#!/bin/sh
# Writes a self-signed certificate for local use of docker-compose.yml (the `certs` service), once.
#   self-signed-cert.sh DIR DOMAIN   ->  DIR/fullchain.pem, DIR/privkey.pem
# Real deployments use Let's Encrypt (deploy/scripts/setup-ssl.sh) and mount /etc/letsencrypt instead.
set -eu
dir="${1:?usage: self-signed-cert.sh DIR DOMAIN}"
domain="${2:?usage: self-signed-cert.sh DIR DOMAIN}"
if [ -s "$dir/fullchain.pem" ] && [ -s "$dir/privkey.pem" ]; then
  echo "certificate for $domain already present in $dir"
  exit 0
fi
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$domain" \
  -addext "subjectAltName=DNS:$domain,DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem"
chmod 0644 "$dir/fullchain.pem"
chmod 0640 "$dir/privkey.pem"
echo "self-signed certificate for $domain written to $dir"
